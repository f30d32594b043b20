import uuid

import pytest
from django.db import IntegrityError, transaction
from model_bakery import baker

from audit.models import AppendOnlyError, AuditLog, UsageEvent
from audit.services import usage_record
from audit.tests.helpers import record_audit


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
