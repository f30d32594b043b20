"""JSON answers for errors raised outside DRF views (unknown URLs, middleware failures)."""

from django.http import JsonResponse


def not_found(request, exception=None):
    return JsonResponse({"detail": f"No endpoint at {request.path[:200]}", "code": "not_found"}, status=404)


def bad_request(request, exception=None):
    return JsonResponse({"detail": "Bad request", "code": "bad_request"}, status=400)


def forbidden(request, exception=None):
    return JsonResponse({"detail": "Forbidden", "code": "forbidden"}, status=403)


def server_error(request):
    return JsonResponse({"detail": "Internal server error", "code": "server_error"}, status=500)
