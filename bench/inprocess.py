"""The invoke path's own cost, without a server or a network: echo invocations through Django's test client.

    .venv/bin/python bench/inprocess.py [--invocations N] [--checkout DIR]

Measures the checkout it is given (default: this one) on a fresh SQLite file, rate limits off,
after a warm-up. bench/compare.py runs it on two revisions in turn, so a change to the
invoke path is judged by a same-run ratio rather than by figures from different days.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invocations", type=int, default=1500)
    parser.add_argument("--checkout", type=Path, default=Path(__file__).resolve().parent.parent)
    options = parser.parse_args()
    sys.path.insert(0, str(options.checkout))
    os.chdir(options.checkout)
    workdir = tempfile.mkdtemp(prefix="gateway-inprocess-")
    os.environ.update({
        "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
        "DJANGO_SETTINGS_MODULE": "gateway_project.settings",
        "ALLOWED_HOSTS": "testserver",
        "GATEWAY_RATE_LIMIT_USER_PER_MINUTE": "0",
        "GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE": "0",
        "GATEWAY_RATE_LIMIT_TOOL_PER_MINUTE": "0",
    })  # fmt: skip
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    created = StringIO()
    call_command("create_tenant", "--name", "Bench", "--region", "local", "--admin-email", "b@x.io", stdout=created)
    tenant = json.loads(created.getvalue())
    client = Client()
    headers = {"X-Tenant-ID": tenant["tenant_id"], "X-User-ID": tenant["admin_user_id"], "X-API-Key": tenant["api_key"]}
    body = json.dumps({"tool_name": "echo", "payload": {"text": "Hello, World!"}})

    def invoke(count: int, prefix: str) -> None:
        for number in range(count):
            answer = client.post("/v1/tools/invoke", body, content_type="application/json",
                                 headers={**headers, "Idempotency-Key": f"{prefix}-{number}"})  # fmt: skip
            if answer.status_code != 200:
                sys.exit(f"invoke failed: {answer.status_code} {answer.content[:200]!r}")

    invoke(200, "warm-up")
    started = time.perf_counter()
    invoke(options.invocations, "measured")
    print(json.dumps({"invocations_per_second": options.invocations / (time.perf_counter() - started)}))


if __name__ == "__main__":
    main()
