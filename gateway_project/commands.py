"""The base of every gateway management command: non-interactive, JSON out, one-line errors."""

import json
import uuid

from django.core.management.base import BaseCommand, CommandError
from rest_framework import serializers

from gateway_project.exceptions import validation_errors
from tenants.models import Tenant


class GatewayCommand(BaseCommand):
    """Prints one JSON document on success; bad input exits non-zero with a one-line reason.

    Django already turns CommandError into `CommandError: <reason>` and exit 1;
    argparse mistakes exit 2, and here without the multi-line usage banner.
    A command whose exit 1 means something else (verify_audit: the chain is broken)
    sets `bad_input_exit_code` to 2, so bad input never reads as that.
    """

    bad_input_exit_code = 1

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.print_usage = lambda file=None: None
        return parser

    def emit(self, document: dict) -> None:
        self.stdout.write(json.dumps(document, default=str))

    def bad_input(self, reason: str) -> CommandError:
        return CommandError(reason, returncode=self.bad_input_exit_code)

    def validated(self, serializer: serializers.Serializer) -> dict:
        """The serializer's data, or a CommandError naming the first invalid field."""
        if not serializer.is_valid():
            field, messages = next(iter(validation_errors(serializer.errors).items()))
            raise self.bad_input(f"{field}: {messages[0]}")
        return serializer.validated_data

    def tenant(self, raw_id: str) -> Tenant:
        try:
            tenant = Tenant.objects.filter(pk=uuid.UUID(raw_id)).first()
        except ValueError:
            tenant = None
        if tenant is None:
            raise self.bad_input(f"Tenant '{raw_id}' not found")
        return tenant
