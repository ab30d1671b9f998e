"""Gateway fixtures: a retail partner with its agreements, receiving and sending helpers.

Model imports live inside the fixtures: the codec tests of this folder run without
Django (``pytest tests/edi/test_codec.py -p no:django``).
"""

from __future__ import annotations

import pytest

from .gateway import OUR_GLN, PARTNER_GLN


@pytest.fixture
def make_partner(db):  # noqa: ANN001, ANN201
    from edi.models import Direction, MessageType, TradingPartner, TransportKind
    from edi.services import MessageTypeAgreement, trading_partner_save
    from tests import factories

    def make(
        code: str = "ENS",
        *,
        gln: str = PARTNER_GLN,
        transport: str = TransportKind.NONE,
        inbound: tuple[str, ...] = (MessageType.ORDERS, MessageType.CONTRL),
        outbound: tuple[str, ...] = (MessageType.CONTRL, MessageType.ORDRSP, MessageType.DESADV),
        **fields,  # noqa: ANN003
    ) -> TradingPartner:
        node = fields.pop("customer_node", None) or factories.CustomerNodeFactory(
            name=f"Enseigne {code}"
        )
        partner = TradingPartner(
            code=code,
            name=f"Partenaire {code}",
            customer_node=node,
            gln=gln,
            our_id=OUR_GLN,
            transport=transport,
            **fields,
        )
        agreements = [MessageTypeAgreement(Direction.INBOUND, kind) for kind in inbound] + [
            MessageTypeAgreement(Direction.OUTBOUND, kind) for kind in outbound
        ]
        return trading_partner_save(partner, message_types=agreements)

    return make


@pytest.fixture
def partner(make_partner):  # noqa: ANN001, ANN201
    return make_partner()


@pytest.fixture
def receive(django_capture_on_commit_callbacks):  # noqa: ANN001, ANN201
    """Receive bytes as a transport does, and run what is scheduled after commit
    (processing, then the CONTRL's transmission) as the eager Celery of tests does."""
    from edi.models import Interchange
    from edi.services import interchange_receive

    def run(payload: bytes, *, transport: str = "directory", partner=None, metadata=None):  # noqa: ANN001, ANN202
        with django_capture_on_commit_callbacks(execute=True):
            row = interchange_receive(
                payload, transport=transport, partner=partner, metadata=metadata or {}
            )
        return Interchange.objects.get(pk=row.pk)

    return run


@pytest.fixture
def committed(django_capture_on_commit_callbacks):  # noqa: ANN001, ANN201
    """Run a callable and then what it scheduled after commit."""

    def run(function, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


@pytest.fixture
def without_orders_handler(monkeypatch):  # noqa: ANN001, ANN201
    """The gateway as it is with no ORDERS handler registered: what happens to a type
    the gateway does not map (the error queue, "no handler for ORDERS")."""
    from edi.services import handlers

    monkeypatch.delitem(handlers.HANDLERS, "ORDERS")
