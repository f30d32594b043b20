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
    """

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.print_usage = lambda file=None: None
        return parser

    def emit(self, document: dict) -> None:
        self.stdout.write(json.dumps(document, default=str))

    @staticmethod
    def validated(serializer: serializers.Serializer) -> dict:
        """The serializer's data, or a CommandError naming the first invalid field."""
        if not serializer.is_valid():
            field, messages = next(iter(validation_errors(serializer.errors).items()))
            raise CommandError(f"{field}: {messages[0]}")
        return serializer.validated_data

    @staticmethod
    def tenant(raw_id: str) -> Tenant:
        try:
            tenant = Tenant.objects.filter(pk=uuid.UUID(raw_id)).first()
        except ValueError:
            tenant = None
        if tenant is None:
            raise CommandError(f"Tenant '{raw_id}' not found")
        return tenant
