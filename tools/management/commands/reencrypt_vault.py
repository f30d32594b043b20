from gateway_project.commands import GatewayCommand
from tools.vault import VaultUnavailable, current_key_fingerprint, vault_reencrypt


class Command(GatewayCommand):
    help = (
        "Re-encrypt every vault secret not under the first key of GATEWAY_VAULT_KEYS with that key; prints JSON. "
        "Run after prepending a new key, before dropping the old one."
    )

    def handle(self, *args, **options):
        try:
            moved = vault_reencrypt()
        except VaultUnavailable as unavailable:
            raise self.bad_input(unavailable.detail) from None
        self.emit({"reencrypted": moved, "current_key": current_key_fingerprint()})
