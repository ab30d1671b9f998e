"""Models of the EDI gateway: partners and their agreements, interchanges, messages, events."""

from .exchanges import (
    EdiEvent,
    EdiMessage,
    EventKind,
    Interchange,
    InterchangeState,
    InterchangeTransport,
    MessageState,
)
from .partners import (
    Direction,
    InterchangeSequence,
    MdnMode,
    MessageType,
    OrdrspPolicy,
    PartnerMessageType,
    SyntaxIdentifier,
    SyntaxVersion,
    TradingPartner,
    TransportKind,
    UnknownGtinPolicy,
)

__all__ = [
    "Direction",
    "EdiEvent",
    "EdiMessage",
    "EventKind",
    "Interchange",
    "InterchangeSequence",
    "InterchangeState",
    "InterchangeTransport",
    "MdnMode",
    "MessageState",
    "MessageType",
    "OrdrspPolicy",
    "PartnerMessageType",
    "SyntaxIdentifier",
    "SyntaxVersion",
    "TradingPartner",
    "TransportKind",
    "UnknownGtinPolicy",
]
