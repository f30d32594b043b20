"""The console's ledger lists read indexes, not tables: newest first without a sort, searches by key.

The plans are asked of the database itself, on SQLite and on PostgreSQL, for the very queryset
the list page runs (its joins, its ordering, its first page).
"""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from model_bakery import baker

from audit.models import AuditLog, UsageEvent
from audit.selectors import UsageGroupBy, usage_summary
from tenants.models import Role, Tenant, TenantUser

AUDIT_LIST = reverse("admin:audit_auditlog_changelist")
USAGE_LIST = reverse("admin:audit_usageevent_changelist")
TENANTS, ROWS_PER_TENANT = 20, 150


@pytest.fixture
def crowded_ledgers(db):
    """Twenty tenants with 150 audit and usage rows each, interleaved in time, so a planner has a choice."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    tenants = [baker.make(Tenant, name=f"Tenant {n:02}") for n in range(TENANTS)]
    users = [baker.make(TenantUser, tenant=tenant, email=f"ops@t{n:02}.test", role=Role.ADMIN)
             for n, tenant in enumerate(tenants)]  # fmt: skip
    audit, usage = [], []
    for seq in range(1, ROWS_PER_TENANT + 1):
        for n, (tenant, user) in enumerate(zip(tenants, users, strict=True)):
            moment = start + timedelta(minutes=seq * TENANTS + n)
            request_id = uuid.uuid4()
            audit.append(AuditLog(tenant=tenant, user=user, seq=seq, prev_hash="0" * 64, row_hash="1" * 64,
                                  outcome="success", tool_name="echo", request_id=request_id, status_code=200,
                                  chain_version=3, idempotency_key=f"key-{request_id.hex}",
                                  created_at=moment))  # fmt: skip
            usage.append(UsageEvent(tenant=tenant, user=user, units=1, tool_name="echo", request_id=request_id,
                                    created_at=moment))  # fmt: skip
    AuditLog.objects.bulk_create(audit, batch_size=1000)
    UsageEvent.objects.bulk_create(usage, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return audit


def first_page_plan(admin_client, url: str, **query: str) -> str:
    changelist = admin_client.get(url, query).context["cl"]
    return changelist.queryset[: changelist.list_per_page].explain()


def reads_whole_table(plan: str, table: str) -> bool:
    """A sequential scan of the table itself (a walk along one of its indexes is not one)."""
    return f"Seq Scan on {table}" in plan or re.search(rf"\bSCAN {table}\b(?! USING)", plan) is not None


def sorts(plan: str) -> bool:
    return "TEMP B-TREE" in plan or "Sort" in plan  # SQLite / PostgreSQL


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "table", "index"),
    [(AUDIT_LIST, "audit_logs", "audit_created_id_idx"), (USAGE_LIST, "usage_events", "usage_created_id_idx")],
)
def test_the_newest_first_list_walks_the_time_index_without_sorting(admin_client, crowded_ledgers, url, table, index):
    plan = first_page_plan(admin_client, url)

    assert index in plan, plan
    assert not sorts(plan), plan
    assert not reads_whole_table(plan, table), plan


EXACT_SEARCHES = [
    (AUDIT_LIST, "audit_logs", "request_id", "audit_request_idx"),
    (AUDIT_LIST, "audit_logs", "idempotency_key", "audit_idempotency_key_idx"),
    (USAGE_LIST, "usage_events", "request_id", "usage_request_idx"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "table", "field", "index"), EXACT_SEARCHES)
def test_an_exact_id_is_found_through_its_index(admin_client, crowded_ledgers, url, table, field, index):
    wanted = crowded_ledgers[1234]
    plan = first_page_plan(admin_client, url, q=str(getattr(wanted, field)))

    assert index in plan, plan
    assert not reads_whole_table(plan, table), plan
    assert f"Backward using {table.split('_')[0]}" not in plan, plan  # not a walk of the time index either


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "table"), [(AUDIT_LIST, "audit_logs"), (USAGE_LIST, "usage_events")])
@pytest.mark.parametrize("term", ["Tenant 07", "ops@t03", "echo", "user id"])
def test_names_and_emails_never_read_the_whole_ledger(admin_client, crowded_ledgers, url, table, term):
    """Names are matched in their own small tables; the ledger is read through an index (tenant, user,
    or the time index walked until a page is full)."""
    term = str(crowded_ledgers[77].user_id) if term == "user id" else term
    plan = first_page_plan(admin_client, url, q=term)

    assert not reads_whole_table(plan, table), plan


def plan_of_the_query_in(run) -> str:
    """The plan of the one query `run` makes, asked of the database for that very SQL."""
    with CaptureQueriesContext(connection) as captured:
        run()
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"{connection.ops.explain_query_prefix()} {query['sql']}")
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.django_db
@pytest.mark.parametrize("group_by", list(UsageGroupBy))
def test_a_tenants_usage_summary_reads_its_rows_by_tenant_and_time(crowded_ledgers, group_by):
    tenant = crowded_ledgers[7].tenant
    since = datetime(2026, 1, 1, 12, tzinfo=UTC)

    plan = plan_of_the_query_in(
        lambda: usage_summary(tenant=tenant, since=since, until=since + timedelta(hours=12), group_by=group_by)
    )

    assert "usage_tenant_created_idx" in plan, plan
    assert not reads_whole_table(plan, "usage_events"), plan


@pytest.mark.django_db
@pytest.mark.parametrize("group_by", list(UsageGroupBy))
def test_every_tenants_usage_summary_reads_the_period_by_time(crowded_ledgers, group_by):
    since = datetime(2026, 1, 1, 12, tzinfo=UTC)

    plan = plan_of_the_query_in(
        lambda: usage_summary(tenant=None, since=since, until=since + timedelta(hours=1), group_by=group_by)
    )

    # By time; or, joined to the tenants for their names, tenant by tenant and by time (SQLite's choice).
    assert "usage_created_id_idx" in plan or "usage_tenant_created_idx" in plan, plan
    assert not reads_whole_table(plan, "usage_events"), plan
