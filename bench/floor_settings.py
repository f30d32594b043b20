"""The gateway's settings, with none of its middleware and only the bench floors' URLs."""

from gateway_project.settings import *  # noqa: F403

MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.floors"
