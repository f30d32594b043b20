"""The upstream of the slow-upstream figure: every request answered after BENCH_UPSTREAM_DELAY_MS (default 100 ms).

A bare ASGI app on uvicorn's event loop, so thousands of waiting requests cost it nothing: the time
measured is the gateway's. Run by bench/run.py as `uvicorn bench.slow_upstream:app`.
"""

import asyncio
import os

DELAY_SECONDS = int(os.environ.get("BENCH_UPSTREAM_DELAY_MS", "100")) / 1000
BODY = b'{"created": true}'


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await asyncio.sleep(DELAY_SECONDS)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})
