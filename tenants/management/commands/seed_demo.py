"""Demo data for the operator console: tenants, users, a year of KPI points, a month of invocations.

Run again, it tops the demo up to now (users and KPIs it lacks, KPI points for the hours since the last
one, invocations for the time since the last demo invocation) and creates no second demo tenant.
`--reset` first removes the demo tenants and everything of theirs, ledgers included, and nothing else.
"""

import math
import random
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from audit.ledger_lock import ledger_unlocked
from audit.models import AuditLog, AuditSeal, Outcome, UsageEvent
from audit.services import Attempt, audit_record, usage_record
from gateway_project.commands import GatewayCommand
from kpis.models import KpiDefinition, KpiPoint
from kpis.services import kpi_create, points_ingest
from tenants.models import Role, Tenant, TenantUser
from tenants.services import tenant_create, user_create
from tools.models import IdempotencyKey

# (name, region, share of the invocations)
DEMO_TENANTS = [("Demo Co", "eu-west-1", 0.55), ("Globex", "us-east-1", 0.3), ("Initech", "ap-southeast-2", 0.15)]
# (local part of the email, role); the domain is the tenant's own under .example (RFC 2606).
DEMO_USERS = [("admin", Role.ADMIN), ("agent", Role.ADMIN), ("analyst", Role.MEMBER)]
DEMO_KPIS = [("MRR", "GBP", 42_000.0, 0.0009), ("Active users", "users", 1_800.0, 0.0005), ("Churn", "%", 3.2, -0.0002)]
AGENTS = ["claude-agent/1.4", "ops-bot/0.9", "curl/8.5.0", "python-requests/2.32"]
# A new KPI gets a year of hourly points; `--invocations` is what a month holds.
HISTORY = timedelta(days=365)
MONTH = timedelta(days=30)
LEDGERS = [AuditLog, UsageEvent, AuditSeal]


def demo_domain(name: str) -> str:
    return name.lower().replace(" ", "") + ".example"


def demo_tenants() -> dict[str, Tenant]:
    """The demo tenants present, by name. A demo tenant has the demo name and the demo admin, whose
    address is at a reserved .example domain: a real tenant of the same name is never taken for one."""
    found = {}
    for name, _, _ in DEMO_TENANTS:
        tenant = Tenant.objects.filter(name=name, users__email=f"admin@{demo_domain(name)}").first()
        if tenant is not None:
            found[name] = tenant
    return found


def seasonal(moment: datetime) -> float:
    """A weekly wave on every series, a function of the hour itself so a top-up continues it."""
    return 1 + 0.03 * math.sin(moment.timestamp() / 3600 / 24 / 7 * 2 * math.pi)


def _delete_ledger_rows(model, tenant_ids: list[uuid.UUID]) -> int:
    # The ledgers' querysets refuse delete(); inside ledger_unlocked the database takes a plain DELETE.
    selected, params = model.objects.filter(tenant_id__in=tenant_ids).order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE id IN ({selected})", params)  # noqa: S608 - model metadata
        return cursor.rowcount


class Command(GatewayCommand):
    help = (
        "Create demo tenants with users, a year of hourly KPI points and invocations over the last 30 days; "
        "run again, top them up to now."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--invocations",
            type=int,
            default=3000,
            help="Invocations in 30 days: all of them on a first run; on a later run, as many as the time "
            "since the last demo invocation holds at that rate (default 3000).",
        )
        parser.add_argument("--seed", type=int, default=7, help="Random seed, for repeatable demo data.")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="First remove the demo tenants and all their data (audit, usage, seals, idempotency keys, KPIs, "
            "users); other tenants are left alone. Refused when GATEWAY_ENV=production.",
        )

    def handle(self, *args, invocations: int, seed: int, reset: bool, **options):
        if invocations < 0:
            raise CommandError("--invocations must be 0 or more")
        if reset and settings.PRODUCTION:
            raise CommandError("--reset deletes audit and usage rows: refused when GATEWAY_ENV=production")
        rng = random.Random(seed)
        now = timezone.now()
        # One transaction: all of it or none of it (a failed top-up leaves the demo as it was, a failed
        # reset the old demo), and one fsync instead of thousands.
        with transaction.atomic():
            removed = self._remove(demo_tenants()) if reset else None
            existing = demo_tenants()
            self._refuse_real_tenants_of_demo_names(existing)
            last_invocation = AuditLog.objects.filter(tenant__in=existing.values()).aggregate(last=Max("created_at"))
            tenants = [self._tenant(name, region, existing.get(name), rng, now) for name, region, _ in DEMO_TENANTS]
            since = max(last_invocation["last"] or now - MONTH, now - MONTH)
            written = self._invocations(tenants, round(invocations * ((now - since) / MONTH)), since, now, rng)
        demo = tenants[0]
        document = {
            "tenants": [
                {"tenant_id": str(t["tenant"].id), "name": t["tenant"].name, "created": t["api_key"] is not None}
                for t in tenants
            ],
            "demo_tenant_id": str(demo["tenant"].id),
            # Only a tenant created now has its key here: the database keeps its digest alone.
            "demo_api_key": demo["api_key"],
            "demo_admin_user_id": str(demo["admin"].id),
            "kpi_points": sum(t["points"] for t in tenants),
            "invocations": written,
        }
        self.emit(document if removed is None else {**document, "removed": removed})

    @staticmethod
    def _remove(tenants: dict[str, Tenant]) -> dict:
        """Delete the demo tenants and every row of theirs, the ledgers' through the one sanctioned unlock."""
        ids = [tenant.pk for tenant in tenants.values()]
        if not ids:
            return {"tenants": [], "rows": {}}
        with ledger_unlocked(reason="seed_demo --reset: removing the demo tenants"):
            rows = {model._meta.db_table: _delete_ledger_rows(model, ids) for model in LEDGERS}
        for model in (IdempotencyKey, KpiPoint, KpiDefinition, TenantUser, Tenant):
            field = "pk" if model is Tenant else "tenant_id"
            rows[model._meta.db_table] = (
                model.objects.filter(**{f"{field}__in": ids}).delete()[1].get(model._meta.label, 0)
            )
        return {"tenants": sorted(tenants), "rows": rows}

    @staticmethod
    def _refuse_real_tenants_of_demo_names(existing: dict[str, Tenant]) -> None:
        for name, _, _ in DEMO_TENANTS:
            if name not in existing and Tenant.objects.filter(name__iexact=name).exists():
                raise CommandError(
                    f"A tenant named '{name}' exists and is not demo data: seed_demo would add a second one"
                )

    def _tenant(self, name: str, region: str, tenant: Tenant | None, rng: random.Random, now: datetime) -> dict:
        api_key = None
        if tenant is None:
            tenant, api_key = tenant_create(name=name, region=region)
        domain = demo_domain(name)
        users = {
            local: TenantUser.objects.filter(tenant=tenant, email=f"{local}@{domain}").first()
            or user_create(tenant=tenant, email=f"{local}@{domain}", role=role)
            for local, role in DEMO_USERS
        }
        points = 0
        last_hour = now.replace(minute=0, second=0, microsecond=0)
        for kpi_name, unit, start, drift in DEMO_KPIS:
            kpi = KpiDefinition.objects.filter(tenant=tenant, name=kpi_name).first()
            if kpi is None:
                kpi = kpi_create(tenant=tenant, name=kpi_name, unit=unit, description=f"Demo series for {name}")
            latest = KpiPoint.objects.filter(tenant=tenant, kpi=kpi).order_by("-ts").values_list("ts", "value").first()
            if latest is None:
                first_hour, value = last_hour - HISTORY + timedelta(hours=1), start
            else:
                first_hour, value = latest[0] + timedelta(hours=1), latest[1] / seasonal(latest[0])
            series = []
            for hour in range(int((last_hour - first_hour) / timedelta(hours=1)) + 1):
                moment = first_hour + timedelta(hours=hour)
                value *= 1 + drift / 24 + rng.gauss(0, 0.002)
                series.append((moment, round(value * seasonal(moment), 4)))
            points += points_ingest(kpi=kpi, points=series).inserted if series else 0
        return {"tenant": tenant, "api_key": api_key, "admin": users["admin"], "agent": users["agent"],
                "member": users["analyst"], "points": points}  # fmt: skip

    def _invocations(self, tenants: list[dict], count: int, since: datetime, now: datetime, rng: random.Random) -> int:
        # Sorted and after the last demo invocation, so each tenant's audit chain runs forward in time.
        span = (now - since).total_seconds()
        moments = sorted(since + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
        weights = [share for _, _, share in DEMO_TENANTS]
        for moment in moments:
            owner = rng.choices(tenants, weights)[0]
            self._one_invocation(owner, moment, rng)
        return count

    @staticmethod
    def _one_invocation(owner: dict, moment, rng: random.Random) -> None:
        roll = rng.random()
        tool_name = "kpi_summary" if rng.random() < 0.35 else "echo"
        user = owner["agent"] if rng.random() < 0.7 else owner["admin"]
        request_id = uuid.uuid4()
        if roll < 0.04:
            user, outcome, status, code = owner["member"], Outcome.DENIED, 403, "permission_denied"
        elif roll < 0.08 and tool_name == "kpi_summary":
            outcome, status, code = Outcome.ERROR, 404, "kpi_not_found"
        elif roll < 0.08:
            outcome, status, code = Outcome.ERROR, 422, "validation_error"
        else:
            outcome, status, code = Outcome.SUCCESS, 200, ""
        attempt = Attempt(request_id=request_id, client_ip=f"10.0.{rng.randint(0, 3)}.{rng.randint(2, 250)}",
                          user_agent=rng.choice(AGENTS), presented_user_id=str(user.id),
                          api_key_fingerprint=owner["tenant"].api_key_digest[:16])  # fmt: skip
        audit_record(tenant=owner["tenant"], user=user, outcome=outcome, tool_name=tool_name, attempt=attempt,
                     idempotency_key=f"demo-{request_id.hex[:12]}", status_code=status, error_code=code,
                     payload_fingerprint=uuid.uuid4().hex * 2, created_at=moment,
                     units=1 if outcome == Outcome.SUCCESS else 0,
                     duration_ms=rng.randint(2, 40 if tool_name == "echo" else 120))  # fmt: skip
        if outcome == Outcome.SUCCESS:
            usage_record(tenant=owner["tenant"], user=user, tool_name=tool_name, units=1, request_id=request_id,
                         created_at=moment)  # fmt: skip
