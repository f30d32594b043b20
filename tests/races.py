"""Races against a live server: many requests released at once, and what a once-only run looks like."""

import threading
from concurrent.futures import ThreadPoolExecutor

import requests


def race(url: str, actor, body: dict, keys: list[str]) -> list[requests.Response]:
    """Send one request per key, all released at the same instant."""
    start = threading.Barrier(len(keys))

    def send(key: str) -> requests.Response:
        start.wait()
        return requests.post(
            f"{url}/v1/tools/invoke", json=body, headers=actor.headers(**{"Idempotency-Key": key}), timeout=60
        )

    with ThreadPoolExecutor(len(keys)) as pool:
        return list(pool.map(send, keys))


def assert_ran_once(responses: list[requests.Response]) -> requests.Response:
    originals = [r for r in responses if r.status_code == 200 and "Idempotent-Replayed" not in r.headers]
    assert len(originals) == 1, [(r.status_code, r.text) for r in responses]
    original = originals[0]
    for response in responses:
        if response is original:
            continue
        if response.status_code == 200:
            assert response.headers["Idempotent-Replayed"] == "true"
            assert response.content == original.content
        else:
            assert response.status_code == 409, response.text
            assert response.json()["code"] == "idempotency_in_progress"
            assert response.headers["Retry-After"] == "1"
    return original
