"""A missing piece of the machine skips its tests on a laptop and fails them under CI=true."""

import pytest
from _pytest.outcomes import Failed, Skipped

from tests import environment


def test_off_ci_a_missing_piece_skips_saying_why(monkeypatch):
    monkeypatch.setattr(environment, "CI", False)
    with pytest.raises(Skipped, match="No Redis"):
        environment.need(False, "No Redis at redis://nowhere")


def test_under_ci_a_missing_piece_fails(monkeypatch):
    monkeypatch.setattr(environment, "CI", True)
    with pytest.raises(Failed, match=r"No Chromium .*CI=true"):
        environment.need(False, "No Chromium at /usr/bin/chromium")


def test_a_present_piece_lets_the_test_run(monkeypatch):
    monkeypatch.setattr(environment, "CI", True)
    environment.need(True, "never said")
