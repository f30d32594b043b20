import pytest
from django.core.exceptions import ImproperlyConfigured
from jsonschema import Draft202012Validator

from gateway_project.errors import ValidationFailed
from tools.registry import ToolRegistry, registry, tool


def test_builtins_and_test_tools_are_registered():
    assert {"echo", "kpi_summary", "test_sleep", "test_explode"} <= {t.name for t in registry.all()}


@pytest.mark.parametrize("registered", registry.all(), ids=lambda t: t.name)
def test_every_registered_schema_is_valid_json_schema(registered):
    Draft202012Validator.check_schema(registered.input_schema)
    assert registered.units >= 1
    assert registered.description


def test_a_name_is_registered_once(monkeypatch):
    monkeypatch.setattr("tools.registry.registry", ToolRegistry())
    tool(name="twice", description="d", input_schema={"type": "object"})(lambda call: {})

    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        tool(name="twice", description="d", input_schema={"type": "object"})(lambda call: {})


def test_an_invalid_schema_fails_at_import():
    with pytest.raises(ImproperlyConfigured, match="invalid input schema"):
        tool(name="bad", description="d", input_schema={"type": "no-such-type"})


def test_units_must_be_positive():
    with pytest.raises(ImproperlyConfigured, match="at least one unit"):
        tool(name="free", description="d", input_schema={"type": "object"}, units=0)


class TestPayloadErrors:
    summary = registry.get("kpi_summary")

    def test_names_each_failing_path(self):
        errors = self.summary.payload_errors({"window_days": 0, "surprise": True})
        assert set(errors) == {"payload.kpi_id", "payload.window_days", "payload.surprise"}
        assert errors["payload.kpi_id"] == ["This field is required."]

    def test_nested_paths_use_brackets_for_indices(self, monkeypatch):
        isolated = ToolRegistry()
        monkeypatch.setattr("tools.registry.registry", isolated)
        schema = {"type": "object", "properties": {"rows": {"type": "array", "items": {"type": "integer"}}}}
        tool(name="nested", description="d", input_schema=schema)(lambda call: {})

        errors = isolated.get("nested").payload_errors({"rows": [1, "two", 3]})

        assert list(errors) == ["payload.rows[1]"]

    def test_valid_payload_passes(self):
        self.summary.validate_payload({"kpi_id": "0b7c1c59-3c43-4f55-8c19-2f0c6a9d8a10", "window_days": 30})

    def test_invalid_payload_raises_a_validation_error(self):
        with pytest.raises(ValidationFailed):
            self.summary.validate_payload({"kpi_id": "0b7c1c59-3c43-4f55-8c19-2f0c6a9d8a10", "window_days": True})
