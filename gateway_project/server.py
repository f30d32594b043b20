"""The gunicorn worker class: uvicorn's event loop per process, configured for the gateway.

gunicorn keeps what it is good at (forking, restarting dead workers, signals); uvicorn
reads HTTP in an event loop, so slow clients cost sockets, not threads.
"""

from uvicorn_worker import UvicornWorker


class GatewayWorker(UvicornWorker):
    CONFIG_KWARGS = {
        "loop": "auto",
        "http": "auto",
        # The client's address is decided by gateway_project.client_ip (GATEWAY_TRUSTED_PROXY_COUNT);
        # uvicorn must not rewrite it from X-Forwarded-For first.
        "proxy_headers": False,
        "server_header": False,
        # The gateway writes its own access line per request (gateway_project.request_context).
        "access_log": False,
        "lifespan": "off",
    }
