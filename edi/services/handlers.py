"""Which service handles a received message, by message type.

The dispatcher (``edi.services.inbound``) looks the type up here at the time it
dispatches, so registering a handler is one line in this dict. The contract a handler
fulfils is in ``edi.services.base``. A received type without a handler lands in the
error queue ("no handler for ORDERS") and can be replayed once one is registered.
"""

from __future__ import annotations

from ..models import MessageType
from .acknowledgements import contrl_handle
from .base import BatchHandler, Handler
from .orders import orders_handle, orders_handle_many

HANDLERS: dict[str, Handler] = {
    MessageType.CONTRL: contrl_handle,
    MessageType.ORDERS: orders_handle,
}

# Handlers that can take many messages of one interchange at once (a retail chain's
# thousand ORDERS), by the one-message handler they stand for: the dispatcher batches a
# type's messages only while ``HANDLERS`` maps it to that handler (registering another
# handler for the type turns batching off for it). ``batch(items: [(message_row,
# message)], partner) -> [outcome]``: one outcome per message, in order — what the
# handler returns, or the exception it would raise (``MessageRejected``,
# ``MappingError``). Same contract otherwise.
BATCH_HANDLERS: dict[Handler, BatchHandler] = {
    orders_handle: orders_handle_many,
}


def batch_handler(message_type: str) -> BatchHandler | None:
    """The batch handler of a message type, if its registered handler has one."""
    handler = HANDLERS.get(message_type)
    return BATCH_HANDLERS.get(handler) if handler is not None else None
