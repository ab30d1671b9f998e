from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EdiConfig(AppConfig):
    name = "edi"
    verbose_name = _("EDI gateway")

    def ready(self) -> None:
        # EDI answers what sales does with EDI orders: ORDRSP on confirmation, DESADV on shipping.
        from trade.sales.signals import delivery_shipped, orders_confirmed

        from .services.answers import on_delivery_shipped, on_orders_confirmed

        orders_confirmed.connect(on_orders_confirmed, dispatch_uid="edi-ordrsp")
        delivery_shipped.connect(on_delivery_shipped, dispatch_uid="edi-desadv")
