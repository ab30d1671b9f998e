"""Shared fixtures: factories as fixtures, users per role, API clients."""

from __future__ import annotations

import pytest

# Imports that need Django settings happen inside the fixtures, so the pure engine
# tests also run without Django: pytest tests/pricing/test_engine.py -p no:django.


@pytest.fixture
def make_user(db):  # noqa: ANN001, ANN201
    from . import factories

    def make(*role_names: str, username: str | None = None):  # noqa: ANN202
        kwargs = {"roles": list(role_names)}
        if username:
            kwargs["username"] = username
        return factories.UserFactory(**kwargs)

    return make


@pytest.fixture
def sales_user(make_user):  # noqa: ANN001, ANN201
    from comptoir import roles

    return make_user(roles.SALES, username="sales")


@pytest.fixture
def warehouse_user(make_user):  # noqa: ANN001, ANN201
    from comptoir import roles

    return make_user(roles.WAREHOUSE, username="warehouse")


@pytest.fixture
def purchasing_user(make_user):  # noqa: ANN001, ANN201
    from comptoir import roles

    return make_user(roles.PURCHASING, username="purchasing")


@pytest.fixture
def admin_user_role(make_user):  # noqa: ANN001, ANN201
    from comptoir import roles

    return make_user(roles.ADMIN, username="adminrole")


@pytest.fixture
def client_for():  # noqa: ANN201
    from django.test import Client

    def make(user) -> Client:  # noqa: ANN001
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_for():  # noqa: ANN201
    from rest_framework.test import APIClient

    def make(user) -> APIClient:  # noqa: ANN001
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def hierarchy(db):  # noqa: ANN001, ANN201
    """chain → buying group → platform → store, with terms set on the buying group."""
    from . import factories

    terms = factories.PaymentTermsFactory(code="45FM", label="45 jours fin de mois", days=45, end_of_month=True)
    chain = factories.CustomerNodeFactory(kind="chain", code="ENS", name="Enseigne Test", delivery_mode="via_platform")
    group = factories.CustomerNodeFactory(kind="buying_group", parent=chain, code="CEN", name="Centrale Test",
                                          payment_terms=terms)
    platform = factories.CustomerNodeFactory(kind="platform", parent=group, code="PF", name="Plateforme Test")
    store = factories.CustomerNodeFactory(kind="store", parent=platform, code="MAG", name="Magasin Test")
    return {"chain": chain, "group": group, "platform": platform, "store": store, "terms": terms}
