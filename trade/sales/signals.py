"""What sales tells the layers above it (EDI answers with ORDRSP and DESADV).

Sent inside the service's transaction, after the change is made; a receiver that
talks to the outside world must wait for the commit (``transaction.on_commit``).
"""

from django.dispatch import Signal

# sender=SalesOrder, results=[ConfirmResult, …]: the orders confirmed together (one
# for a person's confirmation, a thousand for an EDI interchange)
orders_confirmed = Signal()
# sender=Delivery, delivery=
delivery_shipped = Signal()
