"""Write use-cases of sales: each one transaction, each transition recorded."""

from .common import LineInput, parties_resolve
from .deliveries import (
    DELIVERY_DOCUMENT,
    delivery_cancel,
    delivery_create,
    delivery_pick,
    delivery_ship,
)
from .orders import (
    ORDER_DOCUMENT,
    ConfirmResult,
    OrderSpec,
    OrdersRefused,
    credit_exposure,
    order_backorders_reserve,
    order_cancel,
    order_close,
    order_confirm,
    order_copy,
    order_create,
    order_header_update,
    order_line_add,
    order_line_cancel,
    order_line_change,
    order_lines_add,
    orders_confirm,
    orders_create,
)
from .quotes import (
    quote_accept,
    quote_create,
    quote_line_inputs,
    quote_patch,
    quote_refuse,
    quote_send,
    quote_update,
    quotes_expire,
)

__all__ = [
    "DELIVERY_DOCUMENT", "ORDER_DOCUMENT", "ConfirmResult", "LineInput", "OrderSpec", "OrdersRefused", "credit_exposure", "delivery_cancel",
    "delivery_create", "delivery_pick", "delivery_ship", "order_backorders_reserve", "order_cancel", "order_close",
    "order_confirm", "order_copy", "order_create", "order_header_update", "order_line_add", "order_line_cancel",
    "order_line_change", "order_lines_add", "orders_confirm", "orders_create", "parties_resolve", "quote_accept", "quote_create", "quote_line_inputs",
    "quote_patch", "quote_refuse", "quote_send", "quote_update", "quotes_expire",
]
