"""gunicorn settings read from ./gunicorn.conf.py wherever gunicorn starts in this directory.

gunicorn's own request limits answer in plain text; they are set above the gateway's
(GATEWAY_MAX_HEADER_BYTES, GATEWAY_MAX_HEADERS_TOTAL_BYTES, GATEWAY_MAX_HEADER_COUNT),
so a client over the gateway's limit gets the JSON 431. Only a request line over 8,190
bytes, gunicorn's hard ceiling, still meets gunicorn's text answer.
"""

import os

# The edge and Django behind it (gateway_project/asgi.py), served by uvicorn's event loop in
# each worker (gateway_project/server.py): a slow client costs a socket, never a worker.
wsgi_app = "gateway_project.asgi:application"
worker_class = "gateway_project.server.GatewayWorker"
limit_request_line = 8190  # gunicorn's maximum: a longer request line gets gunicorn's own 414
limit_request_fields = 32768  # gunicorn's maximum; the gateway's own count limit answers first
limit_request_field_size = int(os.environ.get("GUNICORN_LIMIT_REQUEST_FIELD_SIZE", 65536))
# The heartbeat of each worker's event loop, not a limit on requests: a tool call waiting on its upstream
# longer than this does not get its worker killed (tests/test_http_tools_live.py).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
# The gateway writes its own JSON access line per request.
accesslog = None


def post_worker_init(worker):
    """Freeze everything the loaded application allocated, once, in each worker.

    Frozen objects are never scanned again, so the full collections the gateway runs after
    large request bodies (gateway_project.middleware.CollectAfterLargeBodiesMiddleware) cost
    about a millisecond, and forked workers do not copy pages the collector would touch.
    """
    import gc

    gc.freeze()
