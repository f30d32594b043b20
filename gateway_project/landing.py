"""GET /: a small page saying what this server is and where its console, docs and health check are.

It is where a browser lands, the console's "View site" included. API clients meet JSON everywhere
else, and here too for any method but GET, HEAD and OPTIONS.
"""

from django.http import HttpResponse, JsonResponse
from django.template.response import TemplateResponse

ALLOWED = "GET, HEAD, OPTIONS"
# The page loads nothing, from here or elsewhere, but its own inline styles.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def landing_view(request):
    if request.method == "OPTIONS":
        response = HttpResponse(status=200)
    elif request.method in ("GET", "HEAD"):
        response = TemplateResponse(request, "landing.html")
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    else:
        # The same answer an API view gives a method it does not take.
        response = JsonResponse(
            {"detail": f'Method "{request.method}" not allowed.', "code": "method_not_allowed"}, status=405
        )
    response["Allow"] = ALLOWED
    return response
