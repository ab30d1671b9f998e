"""Which service handles a received message, by message type.

The dispatcher (``edi.services.inbound``) looks the type up here at the time it
dispatches, so registering a handler is one line in this dict. The contract a handler
fulfils is in ``edi.services.base``. A received type without a handler lands in the
error queue ("no handler for ORDERS") and can be replayed once one is registered.
"""

from __future__ import annotations

from ..models import MessageType
from .acknowledgements import contrl_handle
from .base import Handler
from .orders import orders_handle

HANDLERS: dict[str, Handler] = {
    MessageType.CONTRL: contrl_handle,
    MessageType.ORDERS: orders_handle,
}
