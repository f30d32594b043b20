"""The application the server runs: the edge (gateway_project/edge.py) in front of Django.

Django runs as a WSGI application on a bounded pool of GATEWAY_WORKER_THREADS threads per
process (a2wsgi). The pool's threads live as long as the process, so each keeps its
database connection (CONN_MAX_AGE) and a process never holds more connections than
threads; Django's own ASGI handler would start a thread, and a connection, per request.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway_project.settings")

django_application = get_wsgi_application()

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402

from gateway_project.edge import Edge  # noqa: E402

application = Edge(WSGIMiddleware(django_application, workers=settings.GATEWAY_WORKER_THREADS))
