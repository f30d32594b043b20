"""verify_audit finds rows changed, removed, reordered or forged, and the newest rows deleted after a seal."""

import json
import threading
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from audit.chain import GENESIS_HASH, audit_row_hash
from audit.ledger_lock import ledger_unlocked
from audit.models import AuditLog, AuditSeal, UsageEvent
from audit.services import usage_record
from audit.tests.helpers import record_audit, row_id, seal, tamper, tenant_param
from audit.verification import audit_chain_verify


def verify_command(*args) -> tuple[int, dict]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(out.getvalue())


@pytest.fixture
def chain(acme_admin, outsider):
    for _ in range(5):
        record_audit(acme_admin, metered=True)
    for _ in range(3):
        record_audit(outsider, metered=True)
    return acme_admin.tenant


@pytest.mark.django_db
class TestChain:
    def test_rows_are_numbered_and_linked_per_tenant(self, chain, outsider):
        acme_rows = list(AuditLog.objects.filter(tenant=chain).order_by("seq"))
        assert [row.seq for row in acme_rows] == [1, 2, 3, 4, 5]
        assert acme_rows[0].prev_hash == GENESIS_HASH
        links = zip(acme_rows, acme_rows[1:], strict=False)
        assert all(later.prev_hash == earlier.row_hash for earlier, later in links)
        outsider_seqs = AuditLog.objects.filter(tenant=outsider.tenant).order_by("seq").values_list("seq", flat=True)
        assert list(outsider_seqs) == [1, 2, 3]

    def test_an_untouched_trail_is_intact(self, chain):
        report = audit_chain_verify()
        assert (report.intact, report.tenants, report.rows) == (True, 2, 8)

    def test_the_hash_depends_on_the_key(self, chain, settings):
        row = AuditLog.objects.filter(tenant=chain).values().first()
        row = {**row, "tenant_id": row["tenant_id"], "user_id": row["user_id"]}
        before = audit_row_hash(row)
        settings.GATEWAY_AUDIT_HMAC_KEY = "another key"
        assert audit_row_hash(row) != before


@pytest.mark.django_db
class TestTampering:
    def test_an_edited_row_is_named(self, chain):
        # Turn a success into a denial: the row's HMAC no longer matches.
        tamper("UPDATE audit_logs SET outcome = 'denied', status_code = 403 WHERE id = %s", row_id(chain, 3))

        found = audit_chain_verify().first_break

        assert (found.tenant_id, found.seq, found.problem) == (str(chain.id), 3, "changed")

    def test_a_deleted_middle_row_is_named(self, chain):
        tamper("DELETE FROM audit_logs WHERE id = %s", row_id(chain, 2))

        found = audit_chain_verify().first_break

        assert (found.seq, found.problem) == (2, "removed")
        assert found.detail == "row 2 missing before row 3"

    def test_a_deleted_first_row_is_named(self, chain):
        tamper("DELETE FROM audit_logs WHERE id = %s", row_id(chain, 1))
        assert (audit_chain_verify().first_break.seq, audit_chain_verify().first_break.problem) == (1, "removed")

    def test_a_renumbered_row_is_caught(self, chain):
        # Close the gap left by a deletion by renumbering the next row: its HMAC covers seq.
        tamper("DELETE FROM audit_logs WHERE id = %s", row_id(chain, 2))
        tamper("UPDATE audit_logs SET seq = 2 WHERE id = %s", row_id(chain, 3))

        found = audit_chain_verify().first_break
        assert (found.seq, found.problem) == (2, "changed")

    def test_a_forged_row_is_caught(self, chain, acme_admin):
        last = AuditLog.objects.filter(tenant=chain).order_by("-seq").first()
        tamper(
            "INSERT INTO audit_logs (tenant_id, seq, prev_hash, row_hash, presented_user_id, outcome, action, "
            "tool_name, request_id, idempotency_key, status_code, error_code, user_agent, api_key_fingerprint, "
            "payload_fingerprint, units, created_at, chain_version, channel, api_key_id) "
            "SELECT tenant_id, seq + 1, row_hash, %s, '', 'error', 'tools.invoke', 'echo', %s, '', 200, '', '', "
            "'', '', 0, created_at, chain_version, channel, '' FROM audit_logs WHERE id = %s",
            "f" * 64,
            uuid.uuid4().hex if connection.vendor == "sqlite" else str(uuid.uuid4()),
            last.id,
        )
        found = audit_chain_verify().first_break
        assert (found.seq, found.problem) == (6, "changed")

    def test_a_relinked_row_is_caught_even_with_the_key(self, chain):
        # Only a holder of the HMAC key can re-sign a row; pointing it elsewhere still shows.
        row = AuditLog.objects.filter(tenant=chain, seq=4).values().get()
        row["prev_hash"] = "0" * 64
        tamper(
            "UPDATE audit_logs SET prev_hash = %s, row_hash = %s WHERE id = %s",
            row["prev_hash"], audit_row_hash(row), row["id"],
        )  # fmt: skip
        found = audit_chain_verify().first_break
        assert (found.seq, found.problem) == (4, "reordered")

    def test_a_deleted_usage_row_is_caught(self, chain):
        victim = UsageEvent.objects.filter(tenant=chain).order_by("id")[1]
        tamper("DELETE FROM usage_events WHERE id = %s", victim.id)

        found = audit_chain_verify(tenant=chain).first_break

        assert (found.problem, found.seq) == ("usage_missing", 2)
        assert str(victim.request_id) in found.detail

    @pytest.mark.parametrize(
        "edit",
        ["UPDATE usage_events SET units = 5 WHERE id = %s", "UPDATE usage_events SET tool_name = 'x' WHERE id = %s"],
    )
    def test_an_edited_usage_row_is_caught(self, chain, edit):
        victim = UsageEvent.objects.filter(tenant=chain).first()
        tamper(edit, victim.id)
        found = audit_chain_verify(tenant=chain).first_break
        assert (found.problem, str(victim.id) in found.detail) == ("usage_unexplained", True)

    def test_an_inserted_usage_row_is_caught(self, chain, acme_admin):
        usage_record(tenant=chain, user=acme_admin.user, tool_name="echo", units=1, request_id=uuid.uuid4())
        assert audit_chain_verify(tenant=chain).first_break.problem == "usage_unexplained"

    def test_every_tenant_is_checked_past_the_first_break(self, chain, outsider):
        tamper("UPDATE audit_logs SET tool_name = 'x' WHERE tenant_id = %s AND seq = 2", tenant_param(chain))
        tamper("UPDATE audit_logs SET tool_name = 'x' WHERE tenant_id = %s AND seq = 3", tenant_param(outsider.tenant))

        report = audit_chain_verify()

        assert report.tenants == 2
        assert sorted((found.tenant_id, found.seq) for found in report.breaks) == sorted(
            [(str(chain.id), 2), (str(outsider.tenant.id), 3)]
        )

    def test_only_the_named_tenant_is_checked(self, chain, outsider):
        tamper("UPDATE audit_logs SET tool_name = 'x' WHERE id = %s", row_id(chain, 1))
        assert audit_chain_verify(tenant=outsider.tenant).intact
        assert not audit_chain_verify(tenant=chain).intact


@pytest.mark.django_db
class TestCommand:
    def test_intact_exits_0_with_a_summary(self, chain):
        code, report = verify_command()
        assert code == 0
        assert report == {
            "intact": True,
            "tenants": 2,
            "rows": 8,
            "rows_by_chain_version": {"4": 8},
            "seals": 0,
            "first_break": None,
            "breaks": [],
            "triggers_unlocked": False,
        }

    def test_tampered_exits_1_naming_the_row(self, chain):
        audit_id = row_id(chain, 4)
        tamper("UPDATE audit_logs SET user_agent = 'innocent' WHERE id = %s", audit_id)

        code, report = verify_command("--tenant", str(chain.id))

        assert code == 1
        assert report["first_break"] == {
            "tenant_id": str(chain.id),
            "seq": 4,
            "audit_id": audit_id,
            "problem": "changed",
            "detail": "row 4 does not match its HMAC",
        }

    @pytest.mark.parametrize("tenant_id", ["nope", str(uuid.uuid4())], ids=["malformed", "unknown"])
    def test_unknown_tenant_is_a_one_line_error_with_exit_2_not_1(self, chain, tenant_id):
        # Exit 1 means a broken chain; a mistyped tenant must not page anyone as tampering.
        with pytest.raises(CommandError, match=f"Tenant '{tenant_id}' not found") as refused:
            call_command("verify_audit", "--tenant", tenant_id)
        assert refused.value.returncode == 2


@pytest.mark.django_db
class TestSeals:
    def test_seal_audit_seals_each_tenant_once_per_change(self, chain, outsider):
        first = seal()
        assert sorted((entry["rows"], entry["seal"]) for entry in first["sealed"]) == [(3, 1), (5, 1)]
        assert seal() == {"sealed": [], "unchanged": 2}
        record_audit(outsider, metered=True)
        assert [(entry["tenant_id"], entry["seal"], entry["rows"]) for entry in seal()["sealed"]] == [
            (str(outsider.tenant.id), 2, 4)
        ]
        assert audit_chain_verify().intact

    def test_deleting_the_newest_rows_is_caught_after_a_seal(self, chain):
        seal("--tenant", str(chain.id))
        # Without a seal the shortened chain would still look whole.
        tamper("DELETE FROM audit_logs WHERE tenant_id = %s AND seq >= 4", tenant_param(chain))

        found = audit_chain_verify(tenant=chain).first_break

        assert (found.seq, found.problem) == (4, "removed")
        assert found.detail == "rows 4..5 missing: sealed by seal 1, now gone"

    def test_deleting_every_row_is_caught_after_a_seal(self, chain):
        seal("--tenant", str(chain.id))
        tamper("DELETE FROM audit_logs WHERE tenant_id = %s", tenant_param(chain))
        assert audit_chain_verify(tenant=chain).first_break.problem == "removed"

    def test_an_edited_seal_is_caught(self, chain):
        seal("--tenant", str(chain.id))
        tamper("UPDATE audit_seals SET rows = 3")
        assert audit_chain_verify(tenant=chain).first_break.problem == "seal_changed"

    def test_a_deleted_seal_is_caught_when_a_later_one_remains(self, chain, acme_admin):
        seal("--tenant", str(chain.id))
        record_audit(acme_admin, metered=True)
        seal("--tenant", str(chain.id))
        tamper("DELETE FROM audit_seals WHERE seq = 1")
        assert audit_chain_verify(tenant=chain).first_break.problem == "seal_removed"

    def test_unknown_tenant_is_refused(self, db):
        with pytest.raises(CommandError, match="not found"):
            seal("--tenant", "nope")


@pytest.mark.django_db
class TestDatabaseTriggers:
    """The database itself refuses to change the ledgers, whatever the application does."""

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_logs SET outcome = 'success'",
            "DELETE FROM audit_logs",
            "UPDATE usage_events SET units = 0",
            "DELETE FROM usage_events",
            "UPDATE audit_seals SET rows = 0",
            "DELETE FROM audit_seals",
        ],
    )
    def test_update_and_delete_are_refused(self, chain, acme_admin, statement):
        usage_record(tenant=acme_admin.tenant, user=acme_admin.user, tool_name="echo", units=1, request_id=uuid.uuid4())
        seal()
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
        assert AuditLog.objects.count() == 8
        assert AuditSeal.objects.count() == 2

    @pytest.mark.django_db(transaction=True)  # PostgreSQL will not TRUNCATE with row events pending
    def test_truncate_is_refused_on_postgresql(self, chain):
        if connection.vendor != "postgresql":
            pytest.skip("SQLite has no TRUNCATE; its DELETE trigger covers the same ground")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_logs CASCADE")

    def test_the_unlock_is_scoped_to_its_block(self, chain):
        with ledger_unlocked(reason="test"), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_logs SET user_agent = 'maintenance' WHERE seq = 1")
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_logs SET user_agent = 'again' WHERE seq = 1")

    @pytest.mark.django_db(transaction=True)
    def test_another_connection_never_sees_the_unlock(self, chain):
        """While one transaction is unlocked, a second connection's DELETE is still refused."""
        unlocked, release = threading.Event(), threading.Event()

        def hold_the_unlock():
            with ledger_unlocked(reason="test: held open"):
                unlocked.set()
                release.wait(0.5)  # long enough for the DELETE below to meet it
            connections["default"].close()

        holder = threading.Thread(target=hold_the_unlock)
        holder.start()
        unlocked.wait(5)
        try:
            with pytest.raises(DatabaseError, match="append-only|locked"), connection.cursor() as cursor:
                cursor.execute("DELETE FROM usage_events")
        finally:
            release.set()
            holder.join()
        assert UsageEvent.objects.count() == 8

    @pytest.mark.django_db(transaction=True)
    def test_a_committed_unlock_fails_verification(self, chain):
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO ledger_maintenance_unlock (reason) VALUES ('left behind')")
        try:
            report = audit_chain_verify()
            assert (report.intact, report.triggers_unlocked) == (False, True)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM ledger_maintenance_unlock")
