from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # a POST should meet the JSON 405 below, not Django's HTML CSRF page
def healthz(request):
    """200 when the database answers a query, 503 when it does not."""
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse({"detail": f'Method "{request.method}" not allowed.', "code": "method_not_allowed"})
        response.status_code = 405
        response["Allow"] = "GET, HEAD"
        return response
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"detail": "Database unavailable", "code": "database_unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
