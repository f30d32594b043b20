"""Development profile: with no DJANGO_SECRET_KEY the gateway writes one key file on
first start, and every process (even ones starting together) uses that same key."""

import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PRINT_KEY = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"


def start_settings(key_file: Path, **extra: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "gateway_project.settings",
        "DJANGO_SECRET_KEY_FILE": str(key_file),
        "DATABASE_URL": f"sqlite:///{key_file.parent / 'db.sqlite3'}",
        **extra,
    }
    return subprocess.run([sys.executable, "-c", PRINT_KEY], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def test_first_start_writes_a_private_random_key_and_later_starts_reuse_it(tmp_path):
    key_file = tmp_path / "secret"

    first = start_settings(key_file)
    second = start_settings(key_file)

    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50
    assert second.stdout.strip() == key
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".secret_key.")] == []


def test_processes_starting_together_agree_on_one_key(tmp_path):
    key_file = tmp_path / "secret"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: start_settings(key_file), range(8)))

    assert all(result.returncode == 0 for result in results), [result.stderr for result in results]
    assert {result.stdout.strip() for result in results} == {key_file.read_text().strip()}


def test_key_in_the_environment_wins_and_writes_no_file(tmp_path):
    key_file = tmp_path / "secret"

    result = start_settings(key_file, DJANGO_SECRET_KEY="from-the-environment-" + "x" * 40)

    assert result.stdout.strip() == "from-the-environment-" + "x" * 40
    assert not key_file.exists()


def test_production_never_invents_a_key(tmp_path):
    key_file = tmp_path / "secret"

    result = start_settings(key_file, GATEWAY_ENV="production", ALLOWED_HOSTS="gateway.example.com",
                            GATEWAY_AUDIT_HMAC_KEY="k" * 16 + "0123456789abcdefghijklmnop")  # fmt: skip

    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr
    assert not key_file.exists()
