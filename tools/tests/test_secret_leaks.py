"""A vault secret leaves only toward its upstream: it appears in no answer, log line, database row or console page.

The upstream here echoes every header and query parameter it received, the secret among them, in a
success and in a refusal; everything the gateway produced around those calls is then searched for the
secret as is, URL-encoded and base64-encoded.
"""

import base64
import logging
from urllib.parse import quote, quote_plus

import pytest
from django.db import connection
from django.urls import reverse

from tools.http_tools import http_tool_create
from tools.models import IdempotencyKey, VaultSecret
from tools.vault import secret_store

SECRET = "sk-live/Leak+Check=42"  # noqa: S105 - a test credential; '/', '+', '=' differ once encoded


def forms_of(secret: str) -> set[str]:
    raw = secret.encode()
    encoded = {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    return {secret, quote(secret, safe=""), quote_plus(secret), *encoded, *(form.rstrip("=") for form in encoded)}


def leaks(text: str) -> list[str]:
    return [form for form in forms_of(SECRET) if form in text]


def every_row_as_text() -> str:
    """Every row of every table, as text: the audit log, usage, stored answers, tools, console history..."""
    dumped = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from the schema
            dumped.append(f"{table}: {cursor.fetchall()!r}")
    return "\n".join(dumped)


@pytest.fixture
def echoing_tools(acme_admin, upstream):
    secret_store(tenant=acme_admin.tenant, name="crm-token", value=SECRET)
    credentials = [
        {"secret": "crm-token", "in": "header", "name": "Authorization", "format": "Bearer {secret}"},
        {"secret": "crm-token", "in": "query", "name": "key"},
    ]
    return [
        http_tool_create(
            owner=acme_admin.tenant,
            fields={"name": name, "method": "GET", "url_template": upstream.url(path), "credentials": credentials},
        )  # fmt: skip
        for name, path in (("crm_echo", "/echo"), ("crm_reject", "/echo-reject"), ("crm_down", "/fail"))
    ]


@pytest.mark.django_db
def test_the_secret_appears_nowhere_but_upstream(
    api, invoke, acme_admin, admin_client, upstream, echoing_tools, caplog
):
    caplog.set_level(logging.DEBUG)  # every logger at the levels the settings give it, down to DEBUG
    seen: list[tuple[str, str]] = []

    for tool in echoing_tools:
        for attempt in ("first", "replay"):
            response = invoke(acme_admin, {"tool_name": tool.name, "payload": {}}, key=f"key-{tool.name}")
            seen.append((f"invoke {tool.name} ({attempt}) → {response.status_code}",
                         response.content.decode() + str(response.headers)))  # fmt: skip
    statuses = {label.split(" → ")[1] for label, _ in seen}
    assert statuses == {"200", "424", "502"}, seen  # a success, a refusal and an error each echoed or failed

    for path in ("/v1/http-tools", "/v1/http-tools/crm_echo", "/v1/secrets", "/v1/tools"):
        response = api.get(path, headers=acme_admin.headers())
        assert response.status_code == 200
        seen.append((f"GET {path}", response.content.decode()))

    echo_tool = echoing_tools[0]
    trial = admin_client.post(reverse("admin:tools_httptool_test_call", args=[echo_tool.pk]),
                              {"tenant": str(acme_admin.tenant.pk), "payload": "{}"})  # fmt: skip
    assert trial.status_code == 200 and "[redacted]" in trial.content.decode()
    seen.append(("console test call", trial.content.decode()))
    secret_row = VaultSecret.objects.get(name="crm-token")
    pages = [
        reverse("admin:tools_httptool_changelist"),
        reverse("admin:tools_httptool_change", args=[echo_tool.pk]),
        reverse("admin:tools_httptool_history", args=[echo_tool.pk]),
        reverse("admin:tools_vaultsecret_changelist"),
        reverse("admin:tools_vaultsecret_change", args=[secret_row.pk]),
        reverse("admin:audit_auditlog_changelist"),
        reverse("admin:tools_idempotencykey_changelist"),
        reverse("admin-dashboard"),
    ]
    pages += [reverse("admin:tools_idempotencykey_change", args=[pk])
              for pk in IdempotencyKey.objects.values_list("pk", flat=True)]  # fmt: skip
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        seen.append((f"console {page}", response.content.decode()))

    seen.append(("log lines", "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)))
    seen.append(("database", every_row_as_text()))

    assert {label: leaks(text) for label, text in seen if leaks(text)} == {}
    # It did travel where it belongs: every call that reached the upstream carried it.
    assert {received.headers["Authorization"] for received in upstream.received()} == {f"Bearer {SECRET}"}
    # The stored answers were replayed without a call; the failed GET released its key, so its retry went again.
    assert [received.path for received in upstream.received()] == ["/echo", "/echo-reject", "/fail", "/fail", "/echo"]
