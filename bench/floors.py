"""The floors `make bench` measures the gateway against, served without any of the gateway's middleware.

Run with DJANGO_SETTINGS_MODULE=bench.floor_settings by the same server model as the gateway:

  /bench/bare     the cheapest JSON answer Django can give: the floor of any endpoint;
  /bench/commits  the same number of durable commits per request as an invocation (a claim,
                  then one transaction of three writes): the machine's write-path limit.
"""

import uuid

from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path

_TABLE = "bench_commits"


def bare(request):
    return JsonResponse({"ok": True})


def commits(request):
    """Two commits, as an invocation makes: the claim alone, then the answer, audit and usage together."""
    claim, audit, usage = (str(uuid.uuid4()) for _ in range(3))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_TABLE} (id, step) VALUES (%s, 1)", [claim])  # noqa: S608
        with transaction.atomic():
            cursor.execute(f"UPDATE {_TABLE} SET step = 2 WHERE id = %s", [claim])  # noqa: S608
            cursor.execute(f"INSERT INTO {_TABLE} (id, step) VALUES (%s, 2), (%s, 2)", [audit, usage])  # noqa: S608
    return JsonResponse({"ok": True})


def create_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {_TABLE} (id VARCHAR(36) PRIMARY KEY, step INTEGER NOT NULL)")


urlpatterns = [path("bench/bare", bare), path("bench/commits", commits)]
