"""What the live tests need from the machine, and what happens when it is missing.

On a developer's machine a missing Chromium or Redis skips the tests that need it, saying
why. Under CI=true (what `.ci/run` sets) it fails them instead: CI installs and starts
everything, so a missing piece there means a whole group of tests silently did not run.
"""

import os
from pathlib import Path

import pytest
import redis

CI = os.environ.get("CI", "").lower() == "true"

CHROMIUM = Path("/usr/bin/chromium")
# Quiet, sandbox-free flags for a root container with no outside network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]  # fmt: skip
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def need(available: bool, reason: str) -> None:
    """Skip (or, under CI, fail) unless `available`."""
    if not available:
        if CI:
            pytest.fail(f"{reason} (CI=true: every test must run)")
        pytest.skip(reason)


def need_chromium() -> None:
    need(CHROMIUM.exists(), f"No Chromium at {CHROMIUM} (apt-get install chromium)")


def redis_answers() -> bool:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


def need_redis() -> None:
    need(redis_answers(), f"No Redis at {REDIS_URL} (apt-get install redis-server)")
