"""Demo data for the operator console: tenants, users, a year of KPI points, a month of invocations."""

import math
import random
import uuid
from datetime import timedelta

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from audit.models import Outcome
from audit.services import Attempt, audit_record, usage_record
from gateway_project.commands import GatewayCommand
from kpis.services import kpi_create, points_ingest
from tenants.models import Role, Tenant
from tenants.services import tenant_create, user_create

# (name, region, share of the invocations)
DEMO_TENANTS = [("Demo Co", "eu-west-1", 0.55), ("Globex", "us-east-1", 0.3), ("Initech", "ap-southeast-2", 0.15)]
DEMO_KPIS = [("MRR", "GBP", 42_000.0, 0.0009), ("Active users", "users", 1_800.0, 0.0005), ("Churn", "%", 3.2, -0.0002)]
AGENTS = ["claude-agent/1.4", "ops-bot/0.9", "curl/8.5.0", "python-requests/2.32"]


class Command(GatewayCommand):
    help = "Create demo tenants with users, a year of hourly KPI points and invocations over the last 30 days."

    def add_arguments(self, parser):
        parser.add_argument("--invocations", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=7, help="Random seed, for repeatable demo data.")

    def handle(self, *args, invocations: int, seed: int, **options):
        if invocations < 0:
            raise CommandError("--invocations must be 0 or more")
        if Tenant.objects.filter(name=DEMO_TENANTS[0][0]).exists():
            raise CommandError(f"Demo data is already here (tenant '{DEMO_TENANTS[0][0]}' exists)")
        rng = random.Random(seed)
        # One transaction: all of the demo or none of it, and one fsync instead of thousands.
        with transaction.atomic():
            tenants = [self._tenant(name, region, rng) for name, region, _ in DEMO_TENANTS]
            written = self._invocations(tenants, invocations, rng)
        demo = tenants[0]
        self.emit(
            {
                "tenants": [{"tenant_id": str(t["tenant"].id), "name": t["tenant"].name} for t in tenants],
                "demo_tenant_id": str(demo["tenant"].id),
                "demo_api_key": demo["api_key"],
                "demo_admin_user_id": str(demo["admin"].id),
                "kpi_points": written["points"],
                "invocations": written["invocations"],
            }
        )

    def _tenant(self, name: str, region: str, rng: random.Random) -> dict:
        tenant, api_key = tenant_create(name=name, region=region)
        domain = name.lower().replace(" ", "") + ".example"
        admin = user_create(tenant=tenant, email=f"admin@{domain}", role=Role.ADMIN)
        agent = user_create(tenant=tenant, email=f"agent@{domain}", role=Role.ADMIN)
        member = user_create(tenant=tenant, email=f"analyst@{domain}", role=Role.MEMBER)
        kpis, points = [], 0
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        for kpi_name, unit, start, drift in DEMO_KPIS:
            kpi = kpi_create(tenant=tenant, name=kpi_name, unit=unit, description=f"Demo series for {name}")
            value, series = start, []
            for hour in range(365 * 24, 0, -1):
                value *= 1 + drift / 24 + rng.gauss(0, 0.002)
                seasonal = 1 + 0.03 * math.sin(hour / 24 / 7 * 2 * math.pi)
                series.append((now - timedelta(hours=hour), round(value * seasonal, 4)))
            points += points_ingest(kpi=kpi, points=series).inserted
            kpis.append(kpi)
        return {"tenant": tenant, "api_key": api_key, "admin": admin, "agent": agent, "member": member,
                "kpis": kpis, "points": points}  # fmt: skip

    def _invocations(self, tenants: list[dict], count: int, rng: random.Random) -> dict:
        now = timezone.now()
        # Sorted, so each tenant's audit chain runs forward in time.
        moments = sorted(now - timedelta(seconds=rng.uniform(0, 30 * 86400)) for _ in range(count))
        weights = [share for _, _, share in DEMO_TENANTS]
        for moment in moments:
            owner = rng.choices(tenants, weights)[0]
            self._one_invocation(owner, moment, rng)
        return {"invocations": count, "points": sum(t["points"] for t in tenants)}

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
