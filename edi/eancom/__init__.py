"""EDIFACT / EANCOM D96A: the pure layers of the EDI gateway (STYLE.md rule 10).

Three layers, of which this package holds the first two:

1. the codec (:mod:`.codec`, the only module importing pydifact, plus our own
   :mod:`.tokenizer`, :mod:`.syntax` and :mod:`.envelope`): bytes ⇄ segments, with
   envelope checks reported as structured errors (:mod:`.errors`), never raised;
2. the mappings (:mod:`.messages`): segments ⇄ frozen business dataclasses, pure;
3. services (later, outside this package) persist, route and call the two above.

Nothing here touches the database, the clock or the network; no web framework is
imported (a test enforces it).
"""

from .codec import ParseResult, encode_interchange, format_segments, parse_interchanges
from .envelope import (
    CONTRL_D3,
    DESADV_D96A,
    INVOIC_D96A,
    ORDERS_D96A,
    ORDRSP_D96A,
    Interchange,
    InterchangeHeader,
    Message,
    MessageIdentifier,
    OutboundMessage,
    PartyIdentification,
)
from .errors import (
    EdifactError,
    EdifactException,
    EncodeError,
    ErrorLevel,
    MappingError,
    SyntaxErrorCode,
    TokenizeError,
)
from .segment import Segment, make_segment
from .syntax import DEFAULT_CHARACTERS, CharsetPolicy, ServiceCharacters

__all__ = [
    "CONTRL_D3",
    "DEFAULT_CHARACTERS",
    "DESADV_D96A",
    "INVOIC_D96A",
    "ORDERS_D96A",
    "ORDRSP_D96A",
    "CharsetPolicy",
    "EdifactError",
    "EdifactException",
    "EncodeError",
    "ErrorLevel",
    "Interchange",
    "InterchangeHeader",
    "MappingError",
    "Message",
    "MessageIdentifier",
    "OutboundMessage",
    "ParseResult",
    "PartyIdentification",
    "Segment",
    "ServiceCharacters",
    "SyntaxErrorCode",
    "TokenizeError",
    "encode_interchange",
    "format_segments",
    "make_segment",
    "parse_interchanges",
]
