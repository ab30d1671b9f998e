"""Write use-cases of the EDI gateway; see each module.

- ``inbound``: ``interchange_receive``, ``interchange_process``, ``message_replay``
- ``outbound``: ``message_send``, ``messages_send``, ``interchange_transmit``,
  ``interchange_resend``
- ``acknowledgements``: received CONTRL (handler), ``interchange_acknowledge`` (MDN)
- ``handlers``: ``HANDLERS``, message type → handler; the contract is in ``base``
- ``partners``: ``trading_partner_save``
- ``directory``: polling the inbox folders
"""

from .acknowledgements import contrl_apply, interchange_acknowledge
from .base import MessageRejected, Problem
from .directory import directories_poll, directory_poll
from .inbound import (
    interchange_process,
    interchange_receive,
    interchanges_process_pending,
    message_replay,
    messages_replay,
)
from .outbound import (
    OutboundDocument,
    TransportError,
    interchange_collect_confirm,
    interchange_resend,
    interchange_transmit,
    interchanges_transmit_pending,
    interchanges_waiting,
    message_send,
    messages_send,
)
from .partners import MessageTypeAgreement, trading_partner_save

__all__ = [
    "MessageRejected",
    "MessageTypeAgreement",
    "OutboundDocument",
    "Problem",
    "TransportError",
    "contrl_apply",
    "directories_poll",
    "directory_poll",
    "interchange_acknowledge",
    "interchange_collect_confirm",
    "interchange_process",
    "interchange_receive",
    "interchange_resend",
    "interchange_transmit",
    "interchanges_process_pending",
    "interchanges_transmit_pending",
    "interchanges_waiting",
    "message_replay",
    "message_send",
    "messages_replay",
    "messages_send",
    "trading_partner_save",
]
