from datetime import timedelta

from django.core.management.base import CommandError
from django.utils import timezone

from gateway_project.commands import GatewayCommand
from tools.models import IdempotencyKey

# A century, far past any retention: bounded so that now - H is always a valid date.
MAX_HOURS = 100 * 365 * 24


class Command(GatewayCommand):
    help = "Remove idempotency keys past their retention (or older than --older-than-hours); prints JSON."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-hours",
            type=int,
            help="Also remove keys created more than this many hours ago, even if still retained.",
        )

    def handle(self, *args, older_than_hours: int | None, **options):
        if older_than_hours is not None and not 0 <= older_than_hours <= MAX_HOURS:
            raise CommandError(f"--older-than-hours must be between 0 and {MAX_HOURS}")
        now = timezone.now()
        doomed = IdempotencyKey.objects.expired(now)
        if older_than_hours is not None:
            doomed = doomed | IdempotencyKey.objects.filter(created_at__lte=now - timedelta(hours=older_than_hours))
        # A claim whose tool may still be running stays, or its retry would run the tool again.
        removed, _ = doomed.exclude(pk__in=IdempotencyKey.objects.in_flight(now).values("pk")).delete()
        self.emit({"removed": removed})
