"""Roles scoped object by object (on both databases), and the production settings: check
--deploy clean, and no fault injection or test routes there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.central.conftest import database_url

HERE = Path(__file__).resolve().parent


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=180, cwd=HERE.parents[1])


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return {**env, **extra}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_each_role_sees_only_its_own_objects(backend: str, request: pytest.FixtureRequest,
                                             tmp_path: Path) -> None:
    url = database_url(backend, request, tmp_path)  # migrated
    env = base_env(DJANGO_SETTINGS_MODULE="central.settings.test", DATABASE_URL=url)
    checked = run(env, str(HERE / "scoping_script.py"))
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == "scoping ok"


def production_env(tmp_path: Path) -> dict[str, str]:
    return base_env(DJANGO_SETTINGS_MODULE="central.settings.production",
                    DJANGO_SECRET_KEY="x" * 20 + "-dummy-key-for-the-deploy-check-only-0123456789",
                    DJANGO_ALLOWED_HOSTS="dons.example.org",
                    DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}")


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    done = run(production_env(tmp_path), "-m", "central", "check", "--deploy",
               "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_production_cannot_reach_fault_injection(tmp_path: Path) -> None:
    probe = "\n".join([
        "import sys, django",
        "django.setup()",
        "from django.conf import settings",
        "from django.urls import Resolver404, resolve",
        "assert not any(m.startswith('central.testing') for m in settings.MIDDLEWARE)",
        "assert 'central.testing' not in settings.INSTALLED_APPS",
        "assert resolve('/v1/enroll').url_name == 'enroll'",
        "for path in ('/admin/faults', '/admin/enroll-codes', '/admin/exchanges'):",
        "    try:",
        "        resolve(path)",
        "    except Resolver404:",
        "        continue",
        "    raise AssertionError(path + ' exists in production')",
        "assert not [m for m in sys.modules if m.startswith('central.testing')]",
        "print('ok')"])
    done = run(production_env(tmp_path), "-c", probe)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_demo_network_prints_a_working_code_and_a_login(tmp_path: Path) -> None:
    env = base_env(DJANGO_SETTINGS_MODULE="central.settings.demo",
                   DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    assert run(env, "-m", "central", "migrate", "-v0").returncode == 0
    done = run(env, "-m", "central", "demo-network")
    assert done.returncode == 0, done.stderr
    code = done.stdout.split("enrollment code: ")[1].split()[0]
    assert len(code) >= 32 and "back office login: demo / " in done.stdout
    # The association can sign in, and has what its tax receipts must name.
    assert "association login (Réseau solidaire Nord): nord / " in done.stdout
    assert "association login (Réseau solidaire Sud): sud / " in done.stdout
    probe = ("import django; django.setup()\n"
             "from central.catalog.models import Association\n"
             "from central.accounts.models import Membership\n"
             "for a in Association.objects.filter(name__startswith='Réseau solidaire'):"
             " print(bool(a.address and a.purpose"
             " and a.registration and a.signatory))\n"
             "print(Membership.objects.get(user__username='nord').association.name)")
    about = run(env, "-c", probe)
    assert about.stdout.split("\n")[:3] == ["True", "True", "Réseau solidaire Nord"], about.stderr
    again = run(env, "-m", "central", "demo-network")  # idempotent; the kiosk is not enrolled
    assert again.returncode == 0 and code not in again.stdout
    # The demo shows a pledge: the first project's, with its neighbours counted once.
    probe = ("from central.catalog.selectors import device_catalog;"
             "from central.devices.models import Device;"
             "doc = device_catalog(Device.objects.get(device_id='demo-kiosk'), 'http://d');"
             "print([p['pledge']['count'] for p in doc['projects'] if 'pledge' in p])")
    shown = run(env, "-m", "central", "shell", "--no-imports", "-c", probe)
    assert shown.returncode == 0 and shown.stdout.strip() == "[312]", shown.stderr
