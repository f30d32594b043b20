"""A trail written by earlier releases verifies after the upgrade, row by row under its own chain version.

The rows are written at the schema each earlier release had, with the HMACs it wrote: at audit 0008
the first release's (no `units` in the hash, the column added later as 0) and the next one's (with
`units`); at audit 0009 the release before principal keys (version 3: with the version and the
channel). Migrating tells the first two apart and gives the version 3 rows an empty `api_key_id`,
which their HMAC does not cover; verify_audit then reads each with its own field list, rows of this
release (version 4, which hashes the key id) chain on after them, and a tampered row of any version
is still named.
"""

import json
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audit.chain import CHAIN_VERSION, GENESIS_HASH, audit_row_hash
from audit.models import AuditLog, AuditSeal
from audit.services import usage_record
from audit.tests.helpers import attempt, migrated_back_to, record_audit, seal, tamper, tenant_param
from audit.verification import audit_chain_verify
from gateway_project.db import db_value

BEFORE_VERSIONS = ("audit", "0008_console_groups")
BEFORE_KEY_IDS = ("audit", "0009_chain_versions_and_channel")
COLUMNS = (
    "tenant_id", "seq", "prev_hash", "user_id", "presented_user_id", "outcome", "action", "tool_name",
    "request_id", "idempotency_key", "status_code", "error_code", "client_ip", "user_agent",
    "api_key_fingerprint", "payload_fingerprint", "duration_ms", "units", "created_at",
)  # fmt: skip
# Version 3's release had these too (audit 0009) and hashed them.
V3_COLUMNS = (*COLUMNS, "chain_version", "channel")
# (release's chain version, outcome, status, units the tool meters): written at audit 0008 ...
HISTORY = [(1, "success", 200, 1), (1, "denied", 403, 0), (2, "success", 200, 1), (2, "error", 404, 0)]
# ... and at audit 0009, by the release before principal keys.
V3_HISTORY = [(3, "success", 200, 1), (3, "denied", 403, 0)]
# This release's rows: a principal key's call, then the tenant key's (no key id).
KEY_ID = "0123456789abcdef"


def write_as_an_earlier_release(actor, head: str, seq: int, version: int, outcome: str, status: int, units: int):
    """One row as the release of `version` wrote it, and its usage row for a success; returns its HMAC."""
    columns = V3_COLUMNS if version == 3 else COLUMNS
    row = {
        "tenant_id": actor.tenant.id, "seq": seq, "prev_hash": head, "user_id": actor.user.id,
        "presented_user_id": str(actor.user.id), "outcome": outcome, "action": "tools.invoke", "tool_name": "echo",
        "request_id": uuid.uuid4(), "idempotency_key": f"old-{seq}", "status_code": status,
        "error_code": "" if status == 200 else "kpi_not_found", "client_ip": "192.0.2.9", "user_agent": "old/1.0",
        "api_key_fingerprint": "0123456789abcdef", "payload_fingerprint": "", "duration_ms": 5,
        # The first release had no units column: 0006 added it as 0 under its rows.
        "units": units if version >= 2 and outcome == "success" else 0,
        "created_at": timezone.now() - timedelta(days=30, minutes=-seq),
        "chain_version": version, "channel": "mcp" if seq % 2 == 0 else "rest",
    }  # fmt: skip
    row_hash = audit_row_hash(row, version=version)
    field_of = {"tenant_id": "tenant", "user_id": "user"}
    values = [db_value(AuditLog, field_of.get(name, name), row[name]) for name in columns]
    placeholders = ", ".join(["%s"] * (len(columns) + 1))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO audit_logs ({', '.join(columns)}, row_hash) VALUES ({placeholders})",  # noqa: S608
            [*values, row_hash],
        )
    if outcome == "success":
        usage_record(tenant=actor.tenant, user=actor.user, tool_name="echo", units=units, request_id=row["request_id"])
    return row_hash


def migrate_to(target: tuple[str, str]) -> None:
    """Inside migrated_back_to: forward to `target` only, as the upgrade to a release between did."""
    MigrationExecutor(connection).migrate([target])


@pytest.fixture
def upgraded_trail(transactional_db, acme_admin):
    """Six rows written before the upgrade (two per earlier release), then two written after it."""
    with migrated_back_to(BEFORE_VERSIONS):
        head = GENESIS_HASH
        for seq, (version, outcome, status, units) in enumerate(HISTORY, start=1):
            head = write_as_an_earlier_release(acme_admin, head, seq, version, outcome, status, units)
        migrate_to(BEFORE_KEY_IDS)
        for seq, (version, outcome, status, units) in enumerate(V3_HISTORY, start=len(HISTORY) + 1):
            head = write_as_an_earlier_release(acme_admin, head, seq, version, outcome, status, units)
    record_audit(acme_admin, metered=True, api_key_id=KEY_ID, attempt=attempt(api_key_fingerprint="fedcba9876543210"))
    record_audit(acme_admin, metered=True)
    return acme_admin.tenant


def test_every_row_verifies_under_the_version_it_was_written_with(upgraded_trail):
    report = audit_chain_verify()

    assert (report.intact, report.breaks) == (True, [])
    assert report.rows_by_version == {1: 2, 2: 2, 3: 2, 4: 2}
    rows = AuditLog.objects.filter(tenant=upgraded_trail).order_by("seq")
    assert list(rows.values_list("chain_version", "seq")) == [
        (1, 1), (1, 2), (2, 3), (2, 4), (3, 5), (3, 6), (CHAIN_VERSION, 7), (CHAIN_VERSION, 8),
    ]  # fmt: skip
    # The rows written before the key id was recorded have none; this release's name the key, or none.
    assert list(rows.values_list("api_key_id", flat=True)) == ["", "", "", "", "", "", KEY_ID, ""]


def test_verify_audit_counts_the_rows_of_each_version(upgraded_trail):
    out = StringIO()
    call_command("verify_audit", stdout=out)  # exits non-zero (SystemExit) unless intact

    report = json.loads(out.getvalue())
    assert report["intact"] is True
    assert report["rows_by_chain_version"] == {"1": 2, "2": 2, "3": 2, "4": 2}


@pytest.mark.parametrize(
    ("seq", "edit"),
    [
        (1, "outcome = 'denied'"),  # a first-release row edited
        (3, "status_code = 500"),  # a second-release row edited
        (1, "units = 3"),  # a first-release row made to meter units, which that release never recorded
        (3, "channel = 'mcp'"),  # a second-release row made to claim a channel it did not have
        (3, "units = 7"),  # what only the second release hashed
        (3, "chain_version = 1"),  # passed off as the first release, which did not hash units
        (2, "chain_version = 2"),
        (5, "channel = 'mcp'"),  # a row of the release before principal keys
        (6, "chain_version = 2"),  # passed off as the release that did not hash the channel
        (5, f"api_key_id = '{KEY_ID}'"),  # made to name a key its release never recorded
        (7, "user_agent = 'edited'"),  # this release's rows
        (7, "api_key_id = 'fedcba9876543210'"),  # another key's call
        (7, "api_key_id = ''"),  # passed off as the tenant key's call
        (8, f"api_key_id = '{KEY_ID}'"),  # the tenant key's call passed off as a principal key's
        (7, "chain_version = 3"),  # passed off as the release that did not hash the key id
    ],
)
def test_a_tampered_row_of_any_version_is_named(upgraded_trail, seq, edit):
    tamper(f"UPDATE audit_logs SET {edit} WHERE tenant_id = %s AND seq = %s", tenant_param(upgraded_trail), seq)  # noqa: S608

    found = audit_chain_verify(tenant=upgraded_trail).first_break

    assert (found.seq, found.problem) == (seq, "changed")


def test_an_older_row_made_to_name_a_key_says_what_it_holds(upgraded_trail):
    """Version 3 does not hash the key id: a row of it holds what the upgrade gave it (none), or is changed."""
    tamper(
        "UPDATE audit_logs SET api_key_id = %s WHERE tenant_id = %s AND seq = 6", KEY_ID, tenant_param(upgraded_trail)
    )

    found = audit_chain_verify(tenant=upgraded_trail).first_break

    assert (found.seq, found.problem) == (6, "changed")
    assert found.detail == "row 6 holds a value in api_key_id, which its chain version 3 did not record"


def test_a_row_matching_no_version_stays_named_as_changed(transactional_db, acme_admin):
    """A row edited before the upgrade matches neither earlier version: it is not relabelled into passing."""
    with migrated_back_to(BEFORE_VERSIONS):
        write_as_an_earlier_release(acme_admin, GENESIS_HASH, 1, 2, "success", 200, 1)
        tamper("UPDATE audit_logs SET user_agent = 'edited' WHERE tenant_id = %s", tenant_param(acme_admin.tenant))

    found = audit_chain_verify(tenant=acme_admin.tenant).first_break

    assert (found.seq, found.problem) == (1, "changed")


@pytest.mark.django_db
def test_seals_carry_their_version_and_a_changed_one_is_named(acme_admin):
    record_audit(acme_admin, metered=True)
    sealed = seal()["sealed"]
    assert list(AuditSeal.objects.values_list("seal_version", flat=True)) == [1]
    assert audit_chain_verify().intact and sealed

    tamper("UPDATE audit_seals SET seal_version = 2 WHERE tenant_id = %s", tenant_param(acme_admin.tenant))

    assert audit_chain_verify().first_break.problem == "seal_changed"
