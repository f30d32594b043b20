"""Known-answer vectors for the audit HMACs: fixed rows and a fixed seal, with their digests under a fixed key.

Why the digests are pinned rather than recomputed: every audit row and seal ever
written carries its HMAC, and verify_audit recomputes it with today's code. Any
change to what the hash reads or how it spells it (the field list, a canonical
form such as UTC timestamps or compressed IPv6, the JSON separators, the key's
encoding) makes every stored row look tampered with, and a test that recomputes
the expected value with the same code would not notice. These values were
computed once, with audit/chain.py as it stood when they were added, and copied
here by hand. If one fails, the change is not a refactor: hashing differently
needs a new chain version that verification reads alongside the old one, and
these vectors stay as the old version's answers. Every chain version keeps its
vectors: version 1's were computed with the first release's audit/chain.py itself
(git 142dee0), version 2's when units joined the hash, version 3's when the
version and the channel did, version 4's when the principal key's public id
did. Version 4's were computed without the project's code: a standalone
HMAC-SHA256 over JSON documents whose values were canonicalised by hand (UTC
ISO timestamps, uuid strings, the IPv6 address compressed; keys sorted, no
spaces, ASCII escapes), which reproduced version 3's pinned rows and seal
before it computed version 4's. The first version-4 row's document is spelled
out below (V4_FIRST_ROW_DOCUMENT), so its digest can be checked by hand.
"""

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from model_bakery import baker

from audit import sealing
from audit.chain import (
    CHAIN_VERSION,
    CHAIN_VERSIONS,
    CHAINED_FIELDS,
    GENESIS_HASH,
    SEALED_FIELDS,
    audit_row_hash,
    audit_seal_hash,
    keyed_payload_fingerprint,
)
from audit.models import AuditLog
from audit.services import Attempt, audit_record, usage_record
from audit.tests.helpers import record_audit
from audit.verification import audit_chain_verify
from tenants.models import Tenant, TenantUser

KAT_KEY = "known-answer key: for these vectors only, never a deployment's"

TENANT_ID = uuid.UUID("7e1a0000-0000-4000-8000-000000000001")
USER_ID = uuid.UUID("7e1a0000-0000-4000-8000-0000000000a1")
# The SHA-256 of a request body, as the invoke service passes it in; the row keeps its HMAC.
BODY_SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
KEYED_BODY_SHA256 = "6703573a2abac9856b5df407545ed3a46283c8414aac75c1e2c8e07cbaeb653c"

# Version 2: the rows below, hashed over the first release's fields and `units`.
ROW_HASHES = (
    "090a7d489cdbb65fe89da09c0c7cfa8aa28c64d37de1076939b2c2a223fe9a8a",
    "63fd6187a4381506c8fafd0063dcaf539031db034c3640682b93c5d644d50ed3",
    "cbec20d5b611bee9efbadba692a493ab59ae040cc589f650d77e08047809a16c",
)
SEAL_HASH = "cc2b30c6134f2fc4d3050888583b42afae149de9f2c225a684a57bfb235cd7a1"
# Version 1: the same rows hashed by the first release, which did not cover `units`.
V1_ROW_HASHES = (
    "17f1edf1a0560f4567475d96c7a571bef2b3210373e2614de42c0cd6de481146",
    "1fef3a3474fca420e5d659666b2502fb386ef7c006f3408a380852fde840e0f8",
    "8162a0dabc825d2533c3f4a4f0fb117f185de2b4465584b88642d0c35c417c82",
)
# Version 3: the same rows chained to each other under version 3, with their version and channel;
# and the seal over them.
V3_ROW_HASHES = (
    "c825fa1507111992af245051a495019e52d2dda2fe99e57ebf7a7a633e64aa62",
    "008ed8b60f733965c939d25fafc6b57cf5bdf5a70533451c872a06b5ce0c0b83",
    "627fe997d03dad17deb322d8f46859515e23687b99f8cdf7e437bfc287bb0813",
)
V3_SEAL_HASH = "64e3e27b8ceacdc4870cfb31f62d3403191d7bccc948c1469fc0d29d4f4b2b7e"
# Version 4: the same rows chained under version 4, with the public id of the principal key each was
# made with (the denial's with the tenant key: none); and the seal over them.
V4_ROW_HASHES = (
    "45b59d861700817eb337e2b977875210eb800c5ee48591470f08528fd3f20a79",
    "814585dbd740fb42133175dec30a2a15639bac658017187a10c29123bfaa1bdd",
    "50531f33d1eaaa5ad71f5b14d379a9a0e26eaeb4d6d96afb1f2dcce2fa7a36ec",
)
V4_SEAL_HASH = "a88bb306406ead8c6abc5c8fbbdf117f8b8c6ca93ad611a6d1f64c7f91f7b0e3"
# What version 4 hashes of the first row, byte for byte: HMAC-SHA256 of this under KAT_KEY is V4_ROW_HASHES[0].
V4_FIRST_ROW_DOCUMENT = (
    b'{"action":"tools.invoke","api_key_fingerprint":"0123456789abcdef","api_key_id":"5f2b9c0e7a4d1386",'
    b'"chain_version":4,"channel":"rest","client_ip":"192.0.2.1","created_at":"2026-01-02T03:04:05.678901+00:00",'
    b'"duration_ms":12,"error_code":"","idempotency_key":"kat-1","outcome":"success",'
    b'"payload_fingerprint":"6703573a2abac9856b5df407545ed3a46283c8414aac75c1e2c8e07cbaeb653c",'
    b'"presented_user_id":"7e1a0000-0000-4000-8000-0000000000a1",'
    b'"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",'
    b'"request_id":"7e1a0000-0000-4000-8000-0000000000f1","seq":1,"status_code":200,'
    b'"tenant_id":"7e1a0000-0000-4000-8000-000000000001","tool_name":"echo","units":1,"user_agent":"curl/8.5.0",'
    b'"user_id":"7e1a0000-0000-4000-8000-0000000000a1"}'
)

ROWS = (
    {  # a metered success with every field set
        "tenant_id": TENANT_ID,
        "seq": 1,
        "prev_hash": GENESIS_HASH,
        "user_id": USER_ID,
        "presented_user_id": str(USER_ID),
        "outcome": "success",
        "action": "tools.invoke",
        "tool_name": "echo",
        "request_id": uuid.UUID("7e1a0000-0000-4000-8000-0000000000f1"),
        "idempotency_key": "kat-1",
        "status_code": 200,
        "error_code": "",
        "client_ip": "192.0.2.1",
        "user_agent": "curl/8.5.0",
        "api_key_fingerprint": "0123456789abcdef",
        "payload_fingerprint": KEYED_BODY_SHA256,
        "duration_ms": 12,
        "units": 1,
        "created_at": datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    },
    {  # a denial naming nobody: no user, an IPv6 client, non-ASCII User-Agent, a time given in UTC+2
        "tenant_id": TENANT_ID,
        "seq": 2,
        "prev_hash": ROW_HASHES[0],
        "user_id": None,
        "presented_user_id": "ghost",
        "outcome": "denied",
        "action": "tools.invoke",
        "tool_name": "kpi_summary",
        "request_id": uuid.UUID("7e1a0000-0000-4000-8000-0000000000f2"),
        "idempotency_key": "",
        "status_code": 403,
        "error_code": "user_not_found",
        "client_ip": "2001:db8::7",
        "user_agent": "Mozilla/5.0 (Ünïcødé; 日本語) ✓",
        "api_key_fingerprint": "0123456789abcdef",
        "payload_fingerprint": "",
        "duration_ms": 3,
        "units": 0,
        "created_at": datetime(2026, 1, 2, 5, 4, 6, tzinfo=timezone(timedelta(hours=2))),
    },
    {  # a server error: no client address, no duration
        "tenant_id": TENANT_ID,
        "seq": 3,
        "prev_hash": ROW_HASHES[1],
        "user_id": USER_ID,
        "presented_user_id": str(USER_ID),
        "outcome": "error",
        "action": "tools.invoke",
        "tool_name": "echo",
        "request_id": uuid.UUID("7e1a0000-0000-4000-8000-0000000000f3"),
        "idempotency_key": "kat-3",
        "status_code": 500,
        "error_code": "internal_error",
        "client_ip": None,
        "user_agent": "",
        "api_key_fingerprint": "0123456789abcdef",
        "payload_fingerprint": KEYED_BODY_SHA256,
        "duration_ms": None,
        "units": 0,
        "created_at": datetime(2026, 1, 2, 3, 4, 7, tzinfo=UTC),
    },
)

SEAL = {
    "tenant_id": TENANT_ID,
    "seq": 1,
    "rows": 3,
    "last_row_hash": ROW_HASHES[2],
    "prev_seal_hash": GENESIS_HASH,
    "created_at": datetime(2026, 1, 2, 4, 0, tzinfo=UTC),
}


V3_CHANNELS = ("rest", "mcp", "rest")
V3_ROWS = tuple(
    {**row, "prev_hash": previous, "chain_version": 3, "channel": channel}
    for row, previous, channel in zip(ROWS, (GENESIS_HASH, *V3_ROW_HASHES[:2]), V3_CHANNELS, strict=True)
)
V4_API_KEY_IDS = ("5f2b9c0e7a4d1386", "", "0123456789abcdef")
V4_ROWS = tuple(
    {**row, "prev_hash": previous, "chain_version": 4, "api_key_id": key_id}
    for row, previous, key_id in zip(V3_ROWS, (GENESIS_HASH, *V4_ROW_HASHES[:2]), V4_API_KEY_IDS, strict=True)
)
# Each chain version's known answers for the three rows.
KNOWN_ANSWERS = {1: V1_ROW_HASHES, 2: ROW_HASHES, 3: V3_ROW_HASHES, 4: V4_ROW_HASHES}


@pytest.fixture(autouse=True)
def kat_key(settings):
    settings.GATEWAY_AUDIT_HMAC_KEY = KAT_KEY


def test_the_vectors_set_every_hashed_field():
    assert all(set(row) == set(CHAIN_VERSIONS[2]) for row in ROWS)
    assert all(set(row) == set(CHAIN_VERSIONS[3]) for row in V3_ROWS)
    assert all(set(row) == set(CHAIN_VERSIONS[4]) == set(CHAINED_FIELDS) for row in V4_ROWS)
    assert set(SEAL) == set(SEALED_FIELDS)


def test_every_chain_version_has_vectors():
    """A new chain version comes with its own known answers here, and so do the old ones, forever."""
    assert set(KNOWN_ANSWERS) == set(CHAIN_VERSIONS) == {1, 2, 3, 4}
    assert CHAIN_VERSION == max(CHAIN_VERSIONS) == 4
    assert CHAIN_VERSIONS[2] == (*CHAIN_VERSIONS[1], "units")
    assert CHAIN_VERSIONS[3] == (*CHAIN_VERSIONS[2], "chain_version", "channel")
    assert CHAIN_VERSIONS[4] == (*CHAIN_VERSIONS[3], "api_key_id")


@pytest.mark.parametrize(
    ("row", "expected"), list(zip(ROWS, V1_ROW_HASHES, strict=True)), ids=["success", "denial", "error"]
)
def test_version_1_row_hash_known_answers(row, expected):
    first_release_row = {name: value for name, value in row.items() if name != "units"}
    assert audit_row_hash(first_release_row, version=1) == expected
    assert audit_row_hash(row, version=1) == expected  # a field the version does not cover is not read


@pytest.mark.parametrize(
    ("row", "expected"), list(zip(ROWS, ROW_HASHES, strict=True)), ids=["success", "denial", "error"]
)
def test_version_2_row_hash_known_answers(row, expected):
    assert audit_row_hash(row, version=2) == expected
    assert audit_row_hash({**row, "chain_version": 2}) == expected


@pytest.mark.parametrize(
    ("row", "expected"), list(zip(V3_ROWS, V3_ROW_HASHES, strict=True)), ids=["success", "denial", "error"]
)
def test_version_3_row_hash_known_answers(row, expected):
    assert audit_row_hash(row) == expected


@pytest.mark.parametrize(
    ("row", "expected"), list(zip(V4_ROWS, V4_ROW_HASHES, strict=True)), ids=["success", "denial", "error"]
)
def test_version_4_row_hash_known_answers(row, expected):
    assert audit_row_hash(row) == expected
    assert audit_row_hash(row, version=4) == expected


def test_version_4_first_row_document_is_what_is_pinned():
    """The pinned digest is the HMAC of the document spelled out above: checkable without audit/chain.py."""
    assert hmac.new(KAT_KEY.encode(), V4_FIRST_ROW_DOCUMENT, hashlib.sha256).hexdigest() == V4_ROW_HASHES[0]


def test_a_row_claiming_an_older_version_hashes_differently():
    """The version is hashed from version 3 on: passing a row off as version 2 changes its digest."""
    assert audit_row_hash({**V3_ROWS[0], "chain_version": 2}) != V3_ROW_HASHES[0]
    # Nor can a version 4 row pass as version 3, which does not cover the key it names.
    assert audit_row_hash({**V4_ROWS[0], "chain_version": 3}) != V4_ROW_HASHES[0]


def test_the_key_id_is_hashed_even_when_empty():
    """An empty key id (the tenant key) is hashed as such: naming a key afterwards changes the digest."""
    assert V4_ROWS[1]["api_key_id"] == ""
    assert audit_row_hash({**V4_ROWS[1], "api_key_id": "5f2b9c0e7a4d1386"}) != V4_ROW_HASHES[1]


@pytest.mark.parametrize(
    ("last_row_hash", "expected"),
    [(ROW_HASHES[2], SEAL_HASH), (V3_ROW_HASHES[2], V3_SEAL_HASH), (V4_ROW_HASHES[2], V4_SEAL_HASH)],
    ids=["over-version-2", "over-version-3", "over-version-4"],
)
def test_seal_hash_known_answer(last_row_hash, expected):
    assert audit_seal_hash({**SEAL, "last_row_hash": last_row_hash}) == expected


def test_payload_fingerprint_known_answer():
    assert keyed_payload_fingerprint(BODY_SHA256) == KEYED_BODY_SHA256


@pytest.mark.django_db
def test_rows_and_seal_written_and_read_back_keep_their_known_answers(monkeypatch):
    """The same vectors through the writers and the database: what is stored, and what
    verification recomputes from the stored columns, are still the pinned digests."""
    tenant = baker.make(Tenant, id=TENANT_ID)
    user = baker.make(TenantUser, id=USER_ID, tenant=tenant)
    for row, raw_fingerprint in zip(V4_ROWS, (BODY_SHA256, "", BODY_SHA256), strict=True):
        audit_record(
            tenant=tenant,
            user=user if row["user_id"] else None,
            outcome=row["outcome"],
            tool_name=row["tool_name"],
            attempt=Attempt(
                request_id=row["request_id"],
                client_ip=row["client_ip"],
                user_agent=row["user_agent"],
                presented_user_id=row["presented_user_id"],
                api_key_fingerprint=row["api_key_fingerprint"],
            ),
            idempotency_key=row["idempotency_key"],
            status_code=row["status_code"],
            error_code=row["error_code"],
            payload_fingerprint=raw_fingerprint,
            units=row["units"],
            created_at=row["created_at"],
            duration_ms=row["duration_ms"],
            channel=row["channel"],
            api_key_id=row["api_key_id"],
        )
    usage_record(tenant=tenant, user=user, tool_name="echo", units=1, request_id=ROWS[0]["request_id"])
    monkeypatch.setattr(sealing, "timezone", SimpleNamespace(now=lambda: SEAL["created_at"]))
    seal = sealing.audit_seal(tenant=tenant)

    stored = list(AuditLog.objects.filter(tenant=tenant).order_by("seq").values("row_hash", *CHAINED_FIELDS))
    assert [row["row_hash"] for row in stored] == list(V4_ROW_HASHES)
    assert [audit_row_hash(row) for row in stored] == list(V4_ROW_HASHES)
    assert [row["chain_version"] for row in stored] == [CHAIN_VERSION] * 3
    assert seal.seal_hash == V4_SEAL_HASH
    assert audit_chain_verify(tenant=tenant).intact


@pytest.mark.django_db
def test_the_key_id_is_stored_printable_and_at_most_32_characters(acme_admin):
    """What the pipeline passes is the matched key's public id; the row still keeps only what it can store."""
    record_audit(acme_admin, metered=True, api_key_id="gwp\x00\x07" + "a" * 40)

    assert AuditLog.objects.get(tenant=acme_admin.tenant).api_key_id == "gwp" + "a" * 27
    assert audit_chain_verify(tenant=acme_admin.tenant).intact
