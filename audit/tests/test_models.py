import uuid

import pytest
from django.db import IntegrityError, transaction
from model_bakery import baker

from audit.models import AppendOnlyError, AuditLog, UsageEvent
from audit.services import Attempt, audit_record, usage_record


def attempt(**overrides) -> Attempt:
    fields = {
        "request_id": uuid.uuid4(),
        "client_ip": "127.0.0.1",
        "user_agent": "test",
        "presented_user_id": "",
        "api_key_fingerprint": "",
        **overrides,
    }
    return Attempt(**fields)


def record_audit(actor, *, metered: bool = False, **overrides):
    """One audit row; `metered=True` writes a success's usage row too, as an invocation would."""
    fields = {
        "tenant": actor.tenant,
        "user": actor.user,
        "outcome": "success",
        "tool_name": "echo",
        "idempotency_key": "k",
        "status_code": 200,
        "attempt": attempt(),
        **overrides,
    }
    if metered and fields["outcome"] == "success":
        fields["units"] = fields.get("units") or 1
    seq = audit_record(**fields)
    if metered and fields["outcome"] == "success":
        usage_record(tenant=actor.tenant, user=actor.user, tool_name=fields["tool_name"], units=fields["units"],
                     request_id=fields["attempt"].request_id)  # fmt: skip
    return seq


@pytest.fixture
def rows(acme_admin):
    record_audit(acme_admin)
    usage_record(tenant=acme_admin.tenant, user=acme_admin.user, units=1, tool_name="echo", request_id=uuid.uuid4())


@pytest.mark.django_db
@pytest.mark.parametrize("model", [AuditLog, UsageEvent])
class TestAppendOnly:
    def test_a_row_cannot_be_changed(self, rows, model):
        row = model.objects.get()
        row.tool_name = "forged"
        with pytest.raises(AppendOnlyError):
            row.save()

    def test_a_row_cannot_be_deleted(self, rows, model):
        with pytest.raises(AppendOnlyError):
            model.objects.get().delete()

    def test_bulk_update_and_delete_are_refused(self, rows, model):
        with pytest.raises(AppendOnlyError):
            model.objects.update(tool_name="forged")
        with pytest.raises(AppendOnlyError):
            model.objects.all().delete()
        assert model.objects.count() == 1


@pytest.mark.django_db
def test_audit_rows_only_enter_through_the_chain(acme_admin):
    with pytest.raises(AppendOnlyError, match="audit_record"):
        AuditLog(tenant=acme_admin.tenant, outcome="success", request_id=uuid.uuid4(), status_code=200).save()


@pytest.mark.django_db
def test_request_ids_are_unique_per_tenant(acme_admin):
    request_id = uuid.uuid4()
    baker.make(UsageEvent, tenant=acme_admin.tenant, user=acme_admin.user, units=1, request_id=request_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        baker.make(UsageEvent, tenant=acme_admin.tenant, user=acme_admin.user, units=1, request_id=request_id)
