"""Project-wide guarantees: migrations, roles, production settings, layering."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from comptoir import roles

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_every_role_exists_after_migrate_with_its_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)
    warehouse = set(
        Group.objects.get(name=roles.WAREHOUSE).permissions.filter(content_type__app_label__in=["trade", "pricing"])
        .values_list("codename", flat=True)
    )
    assert "view_customernode" in warehouse
    assert not {p for p in warehouse if not p.startswith("view_")}  # master data and prices: read only
    sales = set(Group.objects.get(name=roles.SALES).permissions.values_list("codename", flat=True))
    assert {"change_customernode", "add_customernode", "change_pricelist"} <= sales
    assert "change_article" not in sales
    admin = Group.objects.get(name=roles.ADMIN).permissions.count()
    assert admin > len(sales)


@pytest.mark.django_db
def test_role_permissions_name_only_existing_models():
    from django.apps import apps

    for role, models_actions in roles.ROLE_PERMISSIONS.items():
        for model_key in models_actions:
            app_label, model = model_key.split(".")
            assert apps.get_model(app_label, model), f"{role}: {model_key}"


def _run_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean_env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env={**clean_env, "DJANGO_SETTINGS_MODULE": "comptoir.settings.prod", **env},
        capture_output=True, text=True, check=False,
    )


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _run_settings({"DATABASE_URL": "postgres://x@127.0.0.1/x"})
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_production_settings_refuse_to_start_without_a_database_url():
    result = _run_settings({"SECRET_KEY": "x" * 50})
    assert result.returncode != 0 and "DATABASE_URL must be set" in result.stderr


def test_production_settings_start_when_configured():
    assert _run_settings({"SECRET_KEY": "x" * 50, "DATABASE_URL": "postgres://x@127.0.0.1/x"}).returncode == 0


def test_domains_import_one_way():
    """edi > logistics > pricing > trade: the import-linter contract in pyproject.toml."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_engines_import_no_django():
    engine_dirs = [ROOT / "pricing" / "engine", ROOT / "edi" / "eancom", ROOT / "logistics" / "allocation"]
    offenders = [
        str(path.relative_to(ROOT))
        for directory in engine_dirs if directory.exists()
        for path in directory.rglob("*.py")
        if "import django" in path.read_text() or "from django" in path.read_text()
    ]
    assert offenders == []


def test_nested_api_errors_name_their_path():
    from comptoir.api import _first_error

    assert _first_error({"addresses": [{}, {"city": ["Required."]}]}) == "addresses[1].city: Required."
    assert _first_error({"non_field_errors": ["Bad."]}) == "Bad."
    assert _first_error({"gln": ["Wrong check digit."]}) == "gln: Wrong check digit."
