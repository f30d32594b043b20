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
