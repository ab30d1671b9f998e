"""The ORDERS documents the handler has just read, kept for the answers that follow.

A received message never changes (its bytes are stored once), so what the ORDERS
handler parsed can serve the ORDRSP built when its orders are confirmed instead of
parsing the stored payload again: a few hundred milliseconds per thousand orders.
Process-local and bounded; a miss (another worker, an order confirmed by a person
days later) reads the stored bytes.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from edi.eancom.messages.orders import Orders

_KEPT = 5_000
_orders: OrderedDict[int, Orders] = OrderedDict()
_lock = Lock()


def orders_keep(message_id: int, orders: Orders) -> None:
    with _lock:
        _orders[message_id] = orders
        _orders.move_to_end(message_id)
        while len(_orders) > _KEPT:
            _orders.popitem(last=False)


def orders_read(message_id: int) -> Orders | None:
    with _lock:
        return _orders.get(message_id)
