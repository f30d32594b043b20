"""Helpers the tools tests share: a standard body, and idempotency keys placed in any state."""

import uuid
from datetime import timedelta

from django.utils import timezone
from model_bakery import baker

from tools.fingerprint import request_fingerprint
from tools.models import IdempotencyKey

ECHO = {"tool_name": "echo", "payload": {"text": "Hello, World!"}}


def make_claim(actor, *, key, body, locked_ago: timedelta, expires_in: timedelta, completed=False):
    now = timezone.now()
    return baker.make(
        IdempotencyKey,
        tenant=actor.tenant,
        endpoint="tools.invoke",
        key=key,
        user=actor.user,
        fingerprint=request_fingerprint(body),
        claim_token=uuid.uuid4(),
        locked_at=now - locked_ago,
        created_at=now - locked_ago,
        expires_at=now + expires_in,
        response_status=200 if completed else None,
        response_body='{"stale": true}' if completed else "",
    )
