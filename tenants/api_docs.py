"""OpenAPI documentation of the tenant and user endpoints, with the seed walk-through's examples."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema

from gateway_project.openapi import AUTHENTICATED_ERRORS, BODY_ERRORS, error_responses
from tenants.secrets import NO_STORE
from tenants.serializers import (
    PrincipalKeyCreatedSerializer,
    PrincipalKeyCreateSerializer,
    PrincipalKeyRotateSerializer,
    PrincipalKeySerializer,
    TenantCreatedSerializer,
    TenantCreateSerializer,
    UserCreateSerializer,
    UserSerializer,
)

TENANT_ID = "550e8400-e29b-41d4-a716-446655440000"
USER_ID = "660e8400-e29b-41d4-a716-446655440001"

SECRET_NOT_CACHED_HEADER = OpenApiParameter(
    "Cache-Control",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[201],
    enum=[NO_STORE],
    description="The answer carries the API key: no cache may keep it.",
)

tenant_create_docs = extend_schema(
    operation_id="tenants_create",
    tags=["Tenants"],
    summary="Create a tenant",
    description=(
        "Open registration only (`GATEWAY_OPEN_REGISTRATION`); otherwise 403 and tenants come from "
        "`manage.py create_tenant`. The API key is in this answer and on rotation only: the gateway "
        "stores a digest and cannot show it again."
    ),
    request=TenantCreateSerializer,
    parameters=[SECRET_NOT_CACHED_HEADER],
    responses={
        201: TenantCreatedSerializer,
        **error_responses(*BODY_ERRORS, 403, s403="Open registration is disabled."),
    },
    examples=[
        OpenApiExample("Acme Corp", value={"name": "Acme Corp", "region": "us-east-1"}, request_only=True),
        OpenApiExample(
            "Created",
            value={
                "tenant_id": TENANT_ID,
                "name": "Acme Corp",
                "region": "us-east-1",
                "api_key": "gwk_3q2-7wEXAMPLEkeyONLYxYz0123456789abcdefgh",
                "created_at": "2026-01-15T10:30:00Z",
            },
            response_only=True,
            status_codes=["201"],
        ),
    ],
)

user_create_docs = extend_schema(
    operation_id="users_create",
    tags=["Tenants"],
    summary="Create a user in a tenant",
    description=(
        "Under open registration anyone may call this. Otherwise it needs the tenant headers of an "
        "admin of the same tenant; any other tenant_id answers 404."
    ),
    request=UserCreateSerializer,
    responses={
        201: UserSerializer,
        **error_responses(
            *BODY_ERRORS,
            401,
            403,
            404,
            409,
            429,
            s404="Unknown tenant (or, under closed registration, not the caller's).",
            s409="A user with this email already exists in the tenant.",
        ),
    },  # fmt: skip
    examples=[
        OpenApiExample(
            "Admin", value={"tenant_id": TENANT_ID, "email": "admin@acme.com", "role": "admin"}, request_only=True
        ),
        OpenApiExample(
            "Created",
            value={
                "user_id": USER_ID,
                "tenant_id": TENANT_ID,
                "email": "admin@acme.com",
                "role": "admin",
                "created_at": "2026-01-15T10:31:00Z",
            },
            response_only=True,
            status_codes=["201"],
        ),
    ],
)


KEY_WORDS = (
    "Tenant admins only (`keys.write`), with the tenant key or an admin's principal key; the tenant key may "
    "manage keys even where it may not act as users."
)
key_list_docs = extend_schema(
    operation_id="keys_list",
    tags=["Keys"],
    summary="List the tenant's principal keys",
    description=f"Newest first, never a secret. {KEY_WORDS}",
    responses={200: PrincipalKeySerializer(many=True), **error_responses(*AUTHENTICATED_ERRORS)},
)
key_retrieve_docs = extend_schema(
    operation_id="keys_retrieve",
    tags=["Keys"],
    summary="One principal key",
    description=KEY_WORDS,
    responses={200: PrincipalKeySerializer, **error_responses(*AUTHENTICATED_ERRORS, 404)},
)
key_create_docs = extend_schema(
    operation_id="keys_create",
    tags=["Keys"],
    summary="Mint a principal key for a user",
    description=(
        "The key authenticates its user alone: send it as `Authorization: Bearer <key>`, or in `X-API-Key` with "
        f"`X-Tenant-ID` (then `X-User-ID` may be left out). The secret is in this answer only. {KEY_WORDS}"
    ),
    request=PrincipalKeyCreateSerializer,
    parameters=[SECRET_NOT_CACHED_HEADER],
    responses={201: PrincipalKeyCreatedSerializer, **error_responses(*AUTHENTICATED_ERRORS, *BODY_ERRORS, 404)},
)
key_revoke_docs = extend_schema(
    operation_id="keys_revoke",
    tags=["Keys"],
    summary="Revoke a principal key",
    description=f"Refused from this request on, on every server (401 `key_revoked`). Revoking twice is no error. "
    f"{KEY_WORDS}",
    request=None,
    responses={200: PrincipalKeySerializer, **error_responses(*AUTHENTICATED_ERRORS, 404)},
)
key_rotate_docs = extend_schema(
    operation_id="keys_rotate",
    tags=["Keys"],
    summary="Rotate a principal key",
    description=(
        "A successor with the same user, label, scope and expiry; the old key keeps working for `grace_seconds` "
        f"(default 3600) and then expires. A key is rotated once (409 `key_already_rotated`). {KEY_WORDS}"
    ),
    request=PrincipalKeyRotateSerializer,
    parameters=[SECRET_NOT_CACHED_HEADER],
    responses={201: PrincipalKeyCreatedSerializer, **error_responses(*AUTHENTICATED_ERRORS, *BODY_ERRORS, 404, 409)},
)
