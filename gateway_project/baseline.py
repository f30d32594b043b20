"""The benchmark's baseline: the cheapest JSON answer Django can give through our middleware.

Mounted only when GATEWAY_BENCH_BASELINE is on, so `make bench` can report the
gateway's cost as a ratio against a floor measured in the same run.
"""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def baseline(request):
    return JsonResponse({"ok": True})
