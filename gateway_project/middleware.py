import gc

from django.conf import settings
from django.http import JsonResponse


class RequireContentLengthMiddleware:
    """411 for a body sent without Content-Length (chunked).

    Django reads only Content-Length bytes, so a chunked body would silently
    arrive empty and meet a misleading 422; say what is wrong instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not request.META.get("CONTENT_LENGTH"):
            return JsonResponse(
                {"detail": "Send the request body with a Content-Length header", "code": "length_required"},
                status=411,
            )
        return self.get_response(request)


class HeaderLimitsMiddleware:
    """431, in the API's JSON shape, for a header or a header block over the configured size.

    gunicorn's own limits sit higher and answer in plain text; these answer first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        each, total = settings.GATEWAY_MAX_HEADER_BYTES, settings.GATEWAY_MAX_HEADERS_TOTAL_BYTES
        headers = [(key, value) for key, value in request.META.items() if key.startswith("HTTP_")]
        if len(headers) > settings.GATEWAY_MAX_HEADER_COUNT:
            return _too_large(f"More than {settings.GATEWAY_MAX_HEADER_COUNT} request headers")
        for key, value in headers:
            if len(key) + len(value) > each:
                name = key.removeprefix("HTTP_").replace("_", "-").title()[:64]
                return _too_large(f"Request header {name} is larger than {each} bytes")
        if sum(len(key) + len(value) for key, value in headers) > total:
            return _too_large(f"Request headers are larger than {total} bytes in all")
        return self.get_response(request)


def _too_large(detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": "header_too_large"}, status=431)


class CollectAfterLargeBodiesMiddleware:
    """A full garbage collection after each request whose body is over 1 MiB.

    Django's request takes part in reference cycles (request.user's lazy closure, DRF's
    view <-> request), so its body is freed only by a full collection, which CPython
    schedules by object counts, not bytes: a worker ingesting 50,000-point batches would
    keep hundreds of megabytes of old bodies. Collecting after each large request frees
    the previous one; gunicorn's gc.freeze() keeps that collection to about a millisecond.
    """

    LARGE_BODY_BYTES = 1024 * 1024

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared.isdigit() and int(declared) > self.LARGE_BODY_BYTES:
            gc.collect()
        return response
