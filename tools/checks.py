"""System checks of the tools app, run by `manage.py check` (and at server start)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def vault_keys_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Production without GATEWAY_VAULT_KEYS starts, so an upgrade is safe, but its vault refuses every secret."""
    if settings.PRODUCTION and not settings.GATEWAY_VAULT_KEYS:
        return [
            checks.Warning(
                "GATEWAY_VAULT_KEYS is not set: storing or revealing a secret answers 503 vault_unavailable.",
                hint='Set it to a Fernet key: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"',
                id="tools.W001",
            )
        ]
    return []
