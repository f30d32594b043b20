"""Every field the audit HMACs cover, changed alone behind the application's back, is named by verify_audit.

One case (at least) per field of CHAINED_FIELDS and SEALED_FIELDS, so a field added to the
hash without a tamper case fails here, and a field dropped from the hash fails its case
(scripts/mutation_check_chain.py checks the latter, field by field).

Each new value is a real change on SQLite and on PostgreSQL (each case reads the column back
to prove it), so the only thing left to notice it is the HMAC. The edited row is the newest of
its chain: renumbering a row in the middle shows as a gap whatever the hash covers, while the
newest row can be renumbered past a gap that only its HMAC betrays.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from audit.chain import CHAINED_FIELDS, SEALED_FIELDS
from audit.models import AuditLog, AuditSeal, Outcome
from audit.tests.helpers import attempt, record_audit, seal, tamper_column
from audit.verification import ChainBreak, audit_chain_verify
from conftest import Actor

ROW_COLUMNS = ("id", *CHAINED_FIELDS)
SEAL_COLUMNS = ("id", "seal_hash", *SEALED_FIELDS)


@dataclass(frozen=True)
class Scene:
    """What an edit may draw its new value from: the stored record and the other actors."""

    stored: dict
    colleague: Actor
    outsider: Actor


@dataclass(frozen=True)
class Edit:
    field: str
    new_value: Callable[[Scene], object]
    variant: str = ""
    # The break the record's original tenant reports once the record has left it, if any.
    left_behind: str | None = None

    @property
    def id(self) -> str:
        return f"{self.field}-{self.variant}" if self.variant else self.field


def one_microsecond_later(scene: Scene):
    return scene.stored["created_at"] + timedelta(microseconds=1)


ROW_EDITS = (
    # Moved into another tenant's trail; its usage row in Acme then has no success to vouch for it.
    Edit("tenant_id", lambda scene: scene.outsider.tenant.id, left_behind="usage_unexplained"),
    Edit("seq", lambda scene: scene.stored["seq"] + 1),
    Edit("prev_hash", lambda scene: "f" * 64),
    Edit("user_id", lambda scene: scene.colleague.user.id, "colleague"),
    Edit("user_id", lambda scene: None, "none"),
    Edit("presented_user_id", lambda scene: str(scene.colleague.user.id)),
    Edit("outcome", lambda scene: Outcome.DENIED),
    Edit("action", lambda scene: "kpis.write"),
    Edit("tool_name", lambda scene: "kpi_summary"),
    Edit("request_id", lambda scene: uuid.uuid4()),
    Edit("idempotency_key", lambda scene: "another-key"),
    Edit("status_code", lambda scene: 403),
    Edit("error_code", lambda scene: "permission_denied"),
    Edit("client_ip", lambda scene: "192.0.2.6", "ipv4"),
    Edit("client_ip", lambda scene: "2001:db8::6", "ipv6"),
    Edit("client_ip", lambda scene: None, "none"),
    Edit("user_agent", lambda scene: "curl/8.6.0"),
    Edit("api_key_fingerprint", lambda scene: "fedcba9876543210"),
    Edit("payload_fingerprint", lambda scene: "0" * 64),
    Edit("duration_ms", lambda scene: scene.stored["duration_ms"] + 1, "longer"),
    Edit("duration_ms", lambda scene: None, "none"),
    Edit("units", lambda scene: scene.stored["units"] + 1),
    Edit("created_at", one_microsecond_later),
    # Passed off as an older version, whose field list would not cover the channel.
    Edit("chain_version", lambda scene: 2),
    # Passed off as version 3, whose field list would not cover the key id.
    Edit("chain_version", lambda scene: 3, "3"),
    Edit("channel", lambda scene: "mcp"),
    # Another principal key's call; the tenant key's (no key id).
    Edit("api_key_id", lambda scene: "fedcba9876543210", "another"),
    Edit("api_key_id", lambda scene: "", "none"),
)

SEAL_EDITS = (
    # Grafted onto another tenant's seals: Acme's own seals still end intact at seal 1.
    Edit("tenant_id", lambda scene: scene.outsider.tenant.id),
    Edit("seq", lambda scene: scene.stored["seq"] + 1),
    Edit("rows", lambda scene: scene.stored["rows"] - 1),
    Edit("last_row_hash", lambda scene: "f" * 64),
    Edit("prev_seal_hash", lambda scene: "f" * 64),
    Edit("created_at", one_microsecond_later),
)


def test_every_chained_field_has_a_tamper_case():
    assert {edit.field for edit in ROW_EDITS} == set(CHAINED_FIELDS)


def test_every_sealed_field_has_a_tamper_case():
    assert {edit.field for edit in SEAL_EDITS} == set(SEALED_FIELDS)


def edit_and_verify(model, columns: tuple[str, ...], stored: dict, edit: Edit, scene: Scene):
    """Apply `edit` to the stored record; returns the record as it now reads and the report."""
    tamper_column(model, stored["id"], edit.field, edit.new_value(scene))
    edited = model.objects.values(*columns).get(id=stored["id"])
    assert edited[edit.field] != stored[edit.field], "the edit must really change the column"
    assert {name: value for name, value in edited.items() if name != edit.field} == {
        name: value for name, value in stored.items() if name != edit.field
    }
    return edited, audit_chain_verify()


def breaks_apart_from(report, tenant_id) -> tuple[ChainBreak | None, list[str | None]]:
    """The break of the tenant the edited record now belongs to, and the problems of the others."""
    own = [found for found in report.breaks if found.tenant_id == str(tenant_id)]
    others = [found.problem for found in report.breaks if found.tenant_id != str(tenant_id)]
    return (own[0] if own else None), others


@pytest.mark.django_db
class TestEveryChainedField:
    @pytest.fixture
    def newest_row(self, acme_admin, outsider) -> dict:
        """Acme: four rows, then the row under test (seq 5), a metered success with every field set.
        Globex: three rows of its own."""
        for _ in range(4):
            record_audit(acme_admin, metered=True)
        for _ in range(3):
            record_audit(outsider, metered=True)
        record_audit(
            acme_admin, metered=True, units=3, idempotency_key="key-5", payload_fingerprint="ab" * 32,
            duration_ms=12, api_key_id="5f2b9c0e7a4d1386", attempt=attempt(
                client_ip="192.0.2.5", user_agent="curl/8.5.0", presented_user_id=str(acme_admin.user.id),
                api_key_fingerprint="0123456789abcdef",
            ),
        )  # fmt: skip
        assert audit_chain_verify().intact
        return AuditLog.objects.values(*ROW_COLUMNS).get(tenant=acme_admin.tenant, seq=5)

    @pytest.mark.parametrize("edit", ROW_EDITS, ids=lambda edit: edit.id)
    def test_an_edited_field_names_the_row(self, newest_row, acme_member, outsider, edit):
        edited, report = edit_and_verify(
            AuditLog, ROW_COLUMNS, newest_row, edit, Scene(newest_row, acme_member, outsider)
        )

        own, others = breaks_apart_from(report, edited["tenant_id"])

        seq = edited["seq"]
        assert own == ChainBreak(
            str(edited["tenant_id"]), seq, edited["id"], "changed", f"row {seq} does not match its HMAC"
        )
        assert others == ([edit.left_behind] if edit.left_behind else [])


@pytest.mark.django_db
class TestEverySealedField:
    @pytest.fixture
    def newest_seal(self, acme_admin, outsider) -> dict:
        """Acme: seal 1 over rows 1..5, seal 2 (under test) over rows 1..7. Globex: seal 1 over its 3 rows."""
        for _ in range(5):
            record_audit(acme_admin, metered=True)
        for _ in range(3):
            record_audit(outsider, metered=True)
        seal()
        for _ in range(2):
            record_audit(acme_admin, metered=True)
        seal("--tenant", str(acme_admin.tenant.id))
        assert audit_chain_verify().intact
        return AuditSeal.objects.values(*SEAL_COLUMNS).get(tenant=acme_admin.tenant, seq=2)

    @pytest.mark.parametrize("edit", SEAL_EDITS, ids=lambda edit: edit.id)
    def test_an_edited_field_names_the_seal(self, newest_seal, acme_member, outsider, edit):
        edited, report = edit_and_verify(
            AuditSeal, SEAL_COLUMNS, newest_seal, edit, Scene(newest_seal, acme_member, outsider)
        )

        own, others = breaks_apart_from(report, edited["tenant_id"])

        # A seal's break is reported at the chain position it claims to seal.
        detail = f"seal {edited['seq']} does not match its HMAC"
        assert own == ChainBreak(str(edited["tenant_id"]), edited["rows"], None, "seal_changed", detail)
        assert others == []
