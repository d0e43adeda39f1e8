"""Django's settings as a fresh process reads them from an environment: ArtGuard's own variables
(ARTGUARD_*, DJANGO_*) are dropped from this process's environment first, then `env` is set."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _environment(env: dict) -> dict:
    return {**{key: value for key, value in os.environ.items() if not key.startswith(("ARTGUARD_", "DJANGO_"))}, **env}


def run_manage(*args, **env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=_environment(env), capture_output=True, text=True, timeout=120)


def settings_value(expression, **env):
    code = f"import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','artguard.settings'); django.setup(); from django.conf import settings; print(repr(({expression},)))"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_environment(env), capture_output=True, text=True, timeout=60).stdout.strip()
