"""Idempotency keys: claim before the tool runs, replay after it answered.

Every guarantee rests on the database: the unique (tenant, endpoint, key)
constraint decides who owns a key, and a compare-and-set on `claim_token`
decides who may complete, release or take over a claim. No process memory.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from gateway_project.db import db_value, execute, insert_rows
from gateway_project.errors import Conflict, InvalidHeader
from tenants.models import Tenant, TenantUser
from tools.models import IdempotencyKey, KeyState

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# How long a client should wait before asking again about a key in flight.
IN_PROGRESS_RETRY_AFTER_SECONDS = 1
# Printable ASCII, not starting or ending with a space (HTTP would strip it anyway).
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$"
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def idempotency_key_check(value: str) -> None:
    limit = settings.GATEWAY_IDEMPOTENCY_KEY_MAX_LENGTH
    if len(value) > limit or not _IDEMPOTENCY_KEY.fullmatch(value):
        raise InvalidHeader(IDEMPOTENCY_KEY_HEADER, f"must be 1 to {limit} printable ASCII characters")


class IdempotencyInProgress(Conflict):
    default_code = "idempotency_in_progress"

    def __init__(self, key: str):
        super().__init__(
            f"A request with Idempotency-Key '{key}' is still in progress; retry shortly",
            headers={"Retry-After": str(IN_PROGRESS_RETRY_AFTER_SECONDS)},
        )


class IdempotencyKeyReused(Conflict):
    default_code = "idempotency_key_reused"

    def __init__(self, key: str):
        super().__init__(f"Idempotency key '{key}' was already used with a different request body")


class IdempotencyKeyOtherUser(Conflict):
    default_code = "idempotency_key_other_user"

    def __init__(self, key: str):
        super().__init__(f"Idempotency key '{key}' was already used by another user")


class ClaimLost(Exception):
    """Our claim was taken over (we outlived the lock timeout): we may not complete it."""


@dataclass(frozen=True)
class Claim:
    tenant_id: uuid.UUID
    endpoint: str
    key: str
    token: uuid.UUID
    # Taken over from an attempt that marked its request sent upstream and never answered.
    sent_before: bool = False

    def _rows(self):
        return IdempotencyKey.objects.filter(
            tenant_id=self.tenant_id, endpoint=self.endpoint, key=self.key, claim_token=self.token
        )


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str


_CLAIM_FIELDS = [
    "tenant", "endpoint", "key", "user", "fingerprint", "claim_token",
    "locked_at", "response_body", "created_at", "expires_at",
]  # fmt: skip


def claim_acquire(
    *, tenant: Tenant, user: TenantUser, endpoint: str, key: str, fingerprint: str
) -> Claim | StoredResponse:
    """Own the key (a Claim), or get the response it already produced (a StoredResponse).

    Raises a 409 while another attempt holds the key, or when the key was used
    with another body or by another user. Expired keys count as absent.
    """
    retention = timedelta(hours=settings.GATEWAY_IDEMPOTENCY_RETENTION_HOURS)
    # A few rounds cover a claim released or purged between our insert and our read.
    for _round in range(3):
        now = timezone.now()
        claim = Claim(tenant_id=tenant.id, endpoint=endpoint, key=key, token=uuid.uuid4())
        row = (tenant.id, endpoint, key, user.id, fingerprint, claim.token, now, "", now, now + retention)
        if insert_rows(IdempotencyKey, _CLAIM_FIELDS, [row], ignore_conflicts_on=["tenant", "endpoint", "key"]):
            return claim

        existing = _stored_key(tenant=tenant, endpoint=endpoint, key=key)
        if existing is None:
            continue
        takeover = IdempotencyKey.objects.filter(tenant=tenant, pk=existing.pk, claim_token=existing.claim_token)
        state = existing.state(now)
        sent_before = False
        if state == KeyState.EXPIRED:
            takeover = takeover.filter(expires_at__lte=now)
        else:
            if existing.user_id != user.id:
                raise IdempotencyKeyOtherUser(key)
            if existing.fingerprint != fingerprint:
                raise IdempotencyKeyReused(key)
            if state == KeyState.COMPLETED:
                return StoredResponse(status=existing.response_status, body=existing.response_body)
            if state == KeyState.IN_FLIGHT:
                raise IdempotencyInProgress(key)
            # Abandoned: it may be taken over only while it is still incomplete, since the
            # holder may complete it between our read and our write, keeping its token.
            takeover = takeover.filter(response_status__isnull=True)
            # The abandoned attempt's request may have reached its upstream: the fact stays with the key.
            sent_before = existing.dispatched_at is not None
        # Compare-and-set: zero rows means another attempt moved first; look again.
        taken = takeover.update(
            user=user,
            fingerprint=fingerprint,
            claim_token=claim.token,
            locked_at=now,
            response_status=None,
            response_body="",
            completed_at=None,
            dispatched_at=existing.dispatched_at if sent_before else None,
            created_at=now,
            expires_at=now + retention,
        )
        if taken:
            return Claim(tenant_id=tenant.id, endpoint=endpoint, key=key, token=claim.token, sent_before=sent_before)
    raise IdempotencyInProgress(key)


def _stored_key(*, tenant: Tenant, endpoint: str, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(tenant=tenant, endpoint=endpoint, key=key).first()


_COMPLETE_SQL = (
    "UPDATE idempotency_keys SET response_status = %s, response_body = %s, completed_at = %s "
    'WHERE tenant_id = %s AND endpoint = %s AND "key" = %s AND claim_token = %s'
)


def claim_complete(claim: Claim, *, status: int, body: str) -> None:
    """Store the response under the claim; raises ClaimLost if the claim is no longer ours.

    Raw SQL: this runs on every invocation, and the ORM's query building cost more than the UPDATE.
    """
    params = [
        status,
        body,
        db_value(IdempotencyKey, "completed_at", timezone.now()),
        db_value(IdempotencyKey, "tenant", claim.tenant_id),
        claim.endpoint,
        claim.key,
        db_value(IdempotencyKey, "claim_token", claim.token),
    ]
    if not execute(_COMPLETE_SQL, params):
        raise ClaimLost(claim.key)


def claim_release(claim: Claim) -> None:
    """Give the key back so a retry can run the tool (after a server error)."""
    claim._rows().delete()


def claim_mark_sent(claim: Claim) -> None:
    """Record, committed, that the claim's request is about to leave for an upstream that may not get it twice.

    Raises ClaimLost (and nothing is sent) when the claim is no longer ours.
    """
    if not claim._rows().update(dispatched_at=timezone.now()):
        raise ClaimLost(claim.key)
