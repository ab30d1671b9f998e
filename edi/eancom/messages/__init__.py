"""EANCOM D96A message mappings: pure functions between segments and dataclasses.

Each module offers ``parse_<type>(message) -> <Document>`` (raising
:class:`~edi.eancom.errors.MappingError` with every fault found, each located by
segment and element position for CONTRL) and ``build_<type>(document) -> segments``
(the body between UNH and UNT; the codec adds the envelope and counts).
"""

from .common import DateValue, Note, Party, Reference, UnmappedSegment
from .contrl import (
    Contrl,
    ContrlAction,
    ElementReport,
    MessageReport,
    SegmentReport,
    build_contrl,
    contrl_for,
    contrl_received,
    parse_contrl,
)
from .desadv import Desadv, DespatchLine, Package, PackingLevel, build_desadv, parse_desadv
from .invoic import Invoic, InvoiceLine, InvoiceType, VatBreakdown, build_invoic, parse_invoic
from .orders import OrderFunction, OrderLine, Orders, Price, StoreSplit, build_orders, parse_orders
from .ordrsp import LineAction, Ordrsp, ResponseLine, ResponseStatus, build_ordrsp, parse_ordrsp

__all__ = [
    "Contrl",
    "ContrlAction",
    "DateValue",
    "Desadv",
    "DespatchLine",
    "ElementReport",
    "Invoic",
    "InvoiceLine",
    "InvoiceType",
    "LineAction",
    "MessageReport",
    "Note",
    "OrderFunction",
    "OrderLine",
    "Orders",
    "Ordrsp",
    "Package",
    "PackingLevel",
    "Party",
    "Price",
    "Reference",
    "ResponseLine",
    "ResponseStatus",
    "SegmentReport",
    "StoreSplit",
    "UnmappedSegment",
    "VatBreakdown",
    "build_contrl",
    "build_desadv",
    "build_invoic",
    "build_orders",
    "build_ordrsp",
    "contrl_for",
    "contrl_received",
    "parse_contrl",
    "parse_desadv",
    "parse_invoic",
    "parse_orders",
    "parse_ordrsp",
]
