"""The domain layer does not depend on the web framework: no DRF import below the views and serializers."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Where DRF belongs: the REST channel (views, serializers, API docs, parsers, request, DRF classes), and
# the exception handler that maps domain errors to HTTP. Everything else is the domain and must not need it.
HTTP_LAYER = {"views.py", "serializers.py", "api_docs.py", "api_views.py", "api_access.py", "scoping.py",
              "exceptions.py", "parsers.py", "fields.py", "openapi.py", "health.py", "urls.py", "commands.py",
              "settings.py"}  # fmt: skip
APPS = ("gateway_project", "tenants", "tools", "kpis", "audit")


def _domain_modules() -> list[Path]:
    found = []
    for app in APPS:
        for path in sorted((REPO / app).rglob("*.py")):
            if "tests" in path.parts or "migrations" in path.parts or path.name in HTTP_LAYER:
                continue
            found.append(path)
    return found


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_domain_modules_are_found():
    found = {path.relative_to(REPO).as_posix() for path in _domain_modules()}
    assert {"tools/invocation.py", "tools/services.py", "tools/registry.py", "gateway_project/errors.py",
            "tenants/context.py", "audit/selectors.py"} <= found  # fmt: skip


@pytest.mark.parametrize("path", _domain_modules(), ids=lambda path: path.relative_to(REPO).as_posix())
def test_no_drf_below_the_views(path):
    web = sorted(name for name in _imports(path) if name.split(".")[0] in {"rest_framework", "drf_spectacular"})
    assert web == [], f"{path.relative_to(REPO)} imports {web}: raise gateway_project.errors instead"
