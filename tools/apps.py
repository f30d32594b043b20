import importlib

from django.apps import AppConfig
from django.conf import settings


class ToolsConfig(AppConfig):
    name = "tools"
    verbose_name = "Tools and idempotency"

    def ready(self) -> None:
        # Importing a tool module registers its tools with the decorator.
        for module in settings.GATEWAY_TOOL_MODULES:
            importlib.import_module(module)
        from tools import checks  # noqa: F401 - registers the app's system checks
