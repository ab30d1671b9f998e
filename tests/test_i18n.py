"""Translations: the French catalogue is complete and compiled, French is the default
language of the back-office, and English is one POST to /i18n/setlang/ away."""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from trade.models import CustomerNode

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
FR_PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po"
FR_MO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.mo"
EN_MO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.mo"

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w+\}")
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    obsolete: bool = False


def _unquote(text: str) -> str:
    body = text.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), body)


def parse_po(path: Path) -> list[Entry]:
    """Just enough of the PO format for Django's catalogues (no external dependency)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    key: tuple[str, int] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry, key = None, None
            continue
        if entry is None:
            entry = Entry(line=number)
            entries.append(entry)
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
        if match:
            name, index, text = match.group(1), int(match.group(2) or 0), _unquote(match.group(3))
            key = (name, index)
        else:
            assert key is not None and line.startswith('"'), (
                f"{path}:{number}: cannot parse {raw!r}"
            )
            name, index, text = key[0], key[1], _unquote(line)
        if name == "msgstr":
            entry.msgstr[index] = entry.msgstr.get(index, "") + text
        else:
            setattr(entry, name, (getattr(entry, name) or "") + text)
    return entries


def _messages(path: Path) -> list[Entry]:
    return [e for e in parse_po(path) if e.msgid and not e.obsolete]


# --------------------------------------------------------------------------- catalogue


def test_the_french_catalogue_is_complete_and_has_no_fuzzy_entry():
    entries = _messages(FR_PO)
    assert len(entries) > 300, "the French catalogue looks truncated"
    fuzzy = [e.msgid for e in parse_po(FR_PO) if "fuzzy" in e.flags]
    untranslated = [e.msgid for e in entries if not all(e.msgstr.values()) or not e.msgstr]
    wrong_plurals = [
        e.msgid for e in entries if e.msgid_plural is not None and sorted(e.msgstr) != [0, 1]
    ]
    assert fuzzy == []
    assert untranslated == []
    assert wrong_plurals == []


def test_french_translations_keep_every_placeholder():
    problems = []
    for entry in _messages(FR_PO):
        for index, text in entry.msgstr.items():
            source = (
                entry.msgid_plural if entry.msgid_plural is not None and index > 0 else entry.msgid
            )
            # a singular form may leave out the count ("Show the last one")
            expected = set(PLACEHOLDER.findall(source))
            found = set(PLACEHOLDER.findall(text))
            if found - expected or ((index > 0 or entry.msgid_plural is None) and expected - found):
                problems.append((entry.msgid, text))
    assert problems == []


def test_the_compiled_french_catalogue_matches_the_po_file():
    """The .mo is committed next to the .po: forgetting compilemessages fails here."""
    with FR_MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in _messages(FR_PO):
        if entry.msgctxt is not None:
            continue
        if entry.msgid_plural is None:
            if compiled.gettext(entry.msgid) != entry.msgstr[0]:
                stale.append(entry.msgid)
        elif compiled.ngettext(entry.msgid, entry.msgid_plural, 5) != entry.msgstr[1]:
            stale.append(entry.msgid)
    assert stale == []
    assert EN_MO.exists()


def test_model_names_are_french_by_default_and_english_on_request():
    assert settings.LANGUAGE_CODE == "fr"
    with translation.override("fr"):
        assert str(CustomerNode._meta.verbose_name) == "client"
        assert str(CustomerNode._meta.verbose_name_plural) == "clients"
        assert str(CustomerNode._meta.get_field("invoicing_node").verbose_name) == "nœud facturé"
    with translation.override("en"):
        assert str(CustomerNode._meta.verbose_name) == "customer"


# --------------------------------------------------------------------------- pages


@pytest.fixture
def sales_client(sales_user, client_for):  # noqa: ANN001, ANN201
    return client_for(sales_user)


@pytest.mark.django_db
def test_the_dashboard_is_french_by_default(sales_client):
    response = sales_client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Tableau de bord" in html
    assert "Clients" in html
    assert "Dashboard" not in html


@pytest.mark.django_db
def test_the_customer_tree_is_french_by_default(sales_client):
    response = sales_client.get("/customers/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Hiérarchie clients" in html
    assert "Clients" in html
    assert "Customer hierarchy" not in html


@pytest.mark.django_db
def test_switching_to_english_through_setlang_then_back_to_french(sales_client):
    response = sales_client.post("/i18n/setlang/", {"language": "en", "next": "/customers/"})
    assert response.status_code == 302
    assert response["Location"] == "/customers/"

    html = sales_client.get("/customers/").content.decode()
    assert '<html lang="en">' in html
    assert "Customer hierarchy" in html
    assert "Hiérarchie clients" not in html
    assert "Dashboard" in sales_client.get("/").content.decode()

    sales_client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert "Tableau de bord" in sales_client.get("/").content.decode()


@pytest.mark.django_db
def test_the_login_page_is_french_and_can_switch_language(client):  # noqa: ANN001
    html = client.get("/accounts/login/").content.decode()
    assert "Connexion" in html

    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert "Sign in" in client.get("/accounts/login/").content.decode()


def test_the_interface_stays_french_whatever_the_browser_asks(client_for, sales_user):
    client = client_for(sales_user)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Tableau de bord" in response.content.decode()
