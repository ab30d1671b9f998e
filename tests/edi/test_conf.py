"""The gateway's technical knobs: environment variable → Django setting → ``edi.conf``."""

from __future__ import annotations

import runpy

import pytest
from django.conf import settings

from edi import conf

# Environment variable (the setting of the same name) → the knob reading it, its default.
KNOBS = {
    "EDI_UNACKNOWLEDGED_HOURS": (conf.unacknowledged_hours, 24),
    "EDI_DIRECTORY_SETTLE_SECONDS": (conf.directory_settle_seconds, 10.0),
    "EDI_HTTP_MAX_BYTES": (conf.http_max_bytes, 50 * 1024 * 1024),
    "EDI_SEND_MAX_RETRIES": (conf.send_max_retries, 6),
    "EDI_PENDING_AFTER_SECONDS": (conf.pending_after_seconds, 300),
    "EDI_AS2_TIMEOUT_SECONDS": (conf.as2_timeout_seconds, 60.0),
    "EDI_AS2_MDN_HOSTS": (conf.as2_mdn_hosts, []),
    "COMPTOIR_AS2_MDN_URL": (conf.as2_mdn_url, ""),
}
DEFAULTS = {name: default for name, (_knob, default) in KNOBS.items()}
ENVIRONMENT = {
    "EDI_UNACKNOWLEDGED_HOURS": "12",
    "EDI_DIRECTORY_SETTLE_SECONDS": "2.5",
    "EDI_HTTP_MAX_BYTES": "1048576",
    "EDI_SEND_MAX_RETRIES": "3",
    "EDI_PENDING_AFTER_SECONDS": "600",
    "EDI_AS2_TIMEOUT_SECONDS": "15",
    "EDI_AS2_MDN_HOSTS": "mdn.example.com, b2b.example.org",
    "COMPTOIR_AS2_MDN_URL": "https://edi.example.com/edi/as2/mdn/",
}
VALUES = {
    "EDI_UNACKNOWLEDGED_HOURS": 12,
    "EDI_DIRECTORY_SETTLE_SECONDS": 2.5,
    "EDI_HTTP_MAX_BYTES": 1048576,
    "EDI_SEND_MAX_RETRIES": 3,
    "EDI_PENDING_AFTER_SECONDS": 600,
    "EDI_AS2_TIMEOUT_SECONDS": 15.0,
    "EDI_AS2_MDN_HOSTS": ["mdn.example.com", "b2b.example.org"],
    "COMPTOIR_AS2_MDN_URL": "https://edi.example.com/edi/as2/mdn/",
}


def base_settings(monkeypatch: pytest.MonkeyPatch, **environment: str) -> dict[str, object]:
    """What ``comptoir/settings/base.py`` sets the knobs to under ``environment`` alone."""
    for name in KNOBS:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    namespace = runpy.run_path(str(settings.BASE_DIR / "comptoir" / "settings" / "base.py"))
    return {name: namespace[name] for name in KNOBS}


def test_without_environment_the_settings_give_the_documented_defaults(monkeypatch):
    assert base_settings(monkeypatch) == DEFAULTS


def test_each_knob_is_set_from_the_environment(monkeypatch):
    assert base_settings(monkeypatch, **ENVIRONMENT) == VALUES


def test_a_knob_that_is_not_a_number_stops_the_start(monkeypatch):
    with pytest.raises(ValueError):
        base_settings(monkeypatch, EDI_SEND_MAX_RETRIES="six")


def test_each_knob_reads_its_django_setting(settings):
    for name, value in VALUES.items():
        setattr(settings, name, value)

    assert {name: knob() for name, (knob, _default) in KNOBS.items()} == VALUES


def test_a_settings_module_without_a_knob_falls_back_to_its_default(settings):
    for name in KNOBS:
        delattr(settings, name)

    assert {name: knob() for name, (knob, _default) in KNOBS.items()} == DEFAULTS
