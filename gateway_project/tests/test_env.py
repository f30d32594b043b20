import pytest
from django.core.exceptions import ImproperlyConfigured

from gateway_project.env import env_bool, env_int, env_list, env_str


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("YES", True), ("on", True), ("0", False), ("false", False)]
)
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", not expected) is expected


def test_env_bool_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", False)


def test_env_defaults_when_unset_or_blank(monkeypatch):
    monkeypatch.setenv("BLANK", "  ")
    assert env_str("BLANK", "d") == "d"
    assert env_int("UNSET_NUMBER", 5) == 5
    assert env_list("UNSET_LIST", ["a"]) == ["a"]


def test_env_int_bounds(monkeypatch):
    monkeypatch.setenv("N", "0")
    with pytest.raises(ImproperlyConfigured, match="minimum"):
        env_int("N", 1, minimum=1)
    monkeypatch.setenv("N", "ten")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("N", 1)


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.test, b.test,,")
    assert env_list("HOSTS", []) == ["a.test", "b.test"]
