"""GATEWAY_ENV=production: every secret explicit, no debug, registration closed, `check --deploy` clean."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def production_env(**overrides: str | None) -> dict[str, str]:
    env = {
        "PATH": os.environ["PATH"],
        "GATEWAY_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "gateway_project.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "GATEWAY_AUDIT_HMAC_KEY": secrets.token_urlsafe(32),
        "GATEWAY_VAULT_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ALLOWED_HOSTS": "gateway.example.com",
        "DATABASE_URL": "sqlite:////tmp/gateway-production-profile.sqlite3",
        "DJANGO_SECRET_KEY_FILE": "/nonexistent/secret",
    }
    env.update({key: value for key, value in overrides.items() if value is not None})
    for key in [key for key, value in overrides.items() if value is None]:
        env.pop(key, None)
    return env


def run(code_or_args: list[str], **overrides) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *code_or_args], cwd=REPO, env=production_env(**overrides), capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def settings_value(expression: str, **overrides) -> str:
    result = run(["-c", f"import django; django.setup(); from django.conf import settings; print({expression})"],
                 **overrides)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_check_deploy_is_clean():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_hardened_defaults():
    values = settings_value(
        "settings.DEBUG, settings.GATEWAY_OPEN_REGISTRATION, settings.SESSION_COOKIE_SECURE, "
        "settings.CSRF_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS, settings.LOG_FORMAT"
    )
    assert values == "False False True True True 31536000 json"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"DJANGO_SECRET_KEY": None}, "Set DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "short"}, "at least 50 random characters"),
        ({"GATEWAY_AUDIT_HMAC_KEY": None}, "Set GATEWAY_AUDIT_HMAC_KEY"),
        ({"GATEWAY_AUDIT_HMAC_KEY": "x"}, "Set GATEWAY_AUDIT_HMAC_KEY (32+ random characters)"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS may not be '*'"),
        ({"GATEWAY_OPEN_REGISTRATION": "1"}, "GATEWAY_OPEN_REGISTRATION cannot be on"),
        ({"ALLOWED_HOSTS": None}, "Set ALLOWED_HOSTS"),
        ({"DJANGO_DEBUG": "1"}, "DJANGO_DEBUG cannot be on"),
        ({"GATEWAY_ENV": "staging"}, "is not one of development, production"),
        ({"GATEWAY_VAULT_KEYS": "not-a-fernet-key"}, "GATEWAY_VAULT_KEYS: key 1 is not a Fernet key"),
    ],
)
def test_refuses_to_start_without_what_production_needs(overrides, reason):
    result = run(["manage.py", "check"], **overrides)
    assert result.returncode != 0
    assert reason in result.stderr


def test_without_vault_keys_the_server_starts_and_the_deploy_check_warns():
    assert run(["manage.py", "check"], GATEWAY_VAULT_KEYS=None).returncode == 0  # an upgrade does not stop it
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], GATEWAY_VAULT_KEYS=None)
    assert result.returncode != 0
    assert "tools.W001" in result.stderr + result.stdout
