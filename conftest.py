"""Shared fixtures: the three actors every access test uses, and an API client.

acme_admin and acme_member belong to tenant Acme; outsider is the admin of
tenant Globex, a stranger to everything of Acme's.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from model_bakery import baker
from rest_framework.test import APIClient

from tenants.api_keys import api_key_digest, api_key_generate
from tenants.models import Role, Tenant, TenantUser


@dataclass(frozen=True)
class Actor:
    tenant: Tenant
    user: TenantUser
    api_key: str

    def headers(self, **extra: str) -> dict[str, str]:
        return {
            "X-Tenant-ID": str(self.tenant.id),
            "X-User-ID": str(self.user.id),
            "X-API-Key": self.api_key,
            **extra,
        }


def make_tenant(name: str) -> tuple[Tenant, str]:
    api_key = api_key_generate()
    return baker.make(Tenant, name=name, region="eu-west-1", api_key_digest=api_key_digest(api_key)), api_key


@pytest.fixture
def acme(db) -> tuple[Tenant, str]:
    return make_tenant("Acme")


@pytest.fixture
def acme_admin(acme) -> Actor:
    tenant, api_key = acme
    return Actor(tenant, baker.make(TenantUser, tenant=tenant, email="admin@acme.test", role=Role.ADMIN), api_key)


@pytest.fixture
def acme_member(acme) -> Actor:
    tenant, api_key = acme
    return Actor(tenant, baker.make(TenantUser, tenant=tenant, email="member@acme.test", role=Role.MEMBER), api_key)


@pytest.fixture
def outsider(db) -> Actor:
    tenant, api_key = make_tenant("Globex")
    return Actor(tenant, baker.make(TenantUser, tenant=tenant, email="admin@globex.test", role=Role.ADMIN), api_key)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def shared_test_database_url() -> str:
    """A DATABASE_URL for the database this test run created, so subprocesses share it."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    password = f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{quote(settings['USER'])}{password}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def manage(transactional_db):
    """Run `manage.py <args>` in a subprocess against the test database, as an operator would."""

    def run(*args: str) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "gateway_project.test_settings",
            "DATABASE_URL": shared_test_database_url(),
        }
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=Path(__file__).parent, env=env, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip

    return run
