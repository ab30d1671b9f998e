"""Roles are Django groups holding model permissions; this module defines them as data.

``roles_sync()`` (run after every migrate) creates the groups and gives each exactly
the permissions listed here, so a deployment never drifts from the code. Apps added
by later issues extend ROLE_PERMISSIONS with their own models.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

SALES = "sales"
PURCHASING = "purchasing"
WAREHOUSE = "warehouse"
ACCOUNTING = "accounting"
ADMIN = "admin"
ROLES = (SALES, PURCHASING, WAREHOUSE, ACCOUNTING, ADMIN)

VIEW = ("view",)
EDIT = ("view", "add", "change", "delete")
# EDI: the exchange monitor, replaying received messages in error, resending sent
# interchanges. Partner setup (and uploading a file by hand) stays with the admin role.
EDI_OPERATE = {
    "edi.tradingpartner": VIEW,
    "edi.partnermessagetype": VIEW,
    "edi.interchange": ("view", "resend"),
    "edi.edimessage": ("view", "replay"),
    "edi.edievent": VIEW,
}
EDI_VIEW = {
    "edi.tradingpartner": VIEW,
    "edi.partnermessagetype": VIEW,
    "edi.interchange": VIEW,
    "edi.edimessage": VIEW,
    "edi.edievent": VIEW,
}

# role -> {"app_label.model": actions}
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    SALES: {
        "trade.customernode": EDIT,
        "trade.customeraddress": EDIT,
        "trade.customercontact": EDIT,
        "trade.paymentterms": VIEW,
        "trade.pricelist": EDIT,
        "trade.documenttemplate": VIEW,
        "trade.supplier": VIEW,
        "trade.article": VIEW,
        "trade.articlefamily": VIEW,
        "trade.brand": VIEW,
        # packagings: sales maps a customer's unknown GTIN from the EDI error queue
        "trade.packaging": ("view", "add", "change"),
        # customers' own article numbers (PIA …:IN), also mapped from the EDI error queue
        "trade.customerarticlereference": EDIT,
        "trade.kitcomponent": VIEW,
        "trade.company": VIEW,
        # pricing
        "pricing.contract": EDIT,
        "pricing.condition": EDIT,
        "pricing.conditiontier": EDIT,
        "pricing.contractstatuschange": VIEW,
        "pricing.customersegment": EDIT,
        "pricing.pricelistitem": EDIT,
        "pricing.discountlevel": VIEW,
        "pricing.saleshistoryline": VIEW,
        "pricing.rebateagreement": EDIT,
        "pricing.rebatetier": EDIT,
        # logistics: stock, lots and reservations to promise; recall lists to call customers
        "logistics.warehouse": VIEW,
        "logistics.location": VIEW,
        "logistics.lot": VIEW,
        "logistics.serialnumber": VIEW,
        "logistics.stockbalance": VIEW,
        "logistics.stockmove": VIEW,
        "logistics.reservation": VIEW,
        "logistics.recall": VIEW,
        # edi: customers' orders come by EDI; sales follows them and fixes the error queue
        **EDI_OPERATE,
    },
    PURCHASING: {
        "trade.supplier": EDIT,
        "trade.supplieraddress": EDIT,
        "trade.suppliercontact": EDIT,
        "trade.supplierarticle": EDIT,
        "trade.article": EDIT,
        "trade.articlefamily": EDIT,
        "trade.brand": EDIT,
        "trade.packaging": EDIT,
        "trade.customerarticlereference": EDIT,
        "trade.kitcomponent": EDIT,
        "trade.customernode": VIEW,
        "trade.paymentterms": VIEW,
        "trade.company": VIEW,
        "pricing.pricelistitem": VIEW,
        # logistics: stock, receipts (without purchase order) and replenishment
        "logistics.warehouse": VIEW,
        "logistics.location": VIEW,
        "logistics.lot": VIEW,
        "logistics.serialnumber": VIEW,
        "logistics.stockbalance": VIEW,
        "logistics.stockmove": VIEW,
        "logistics.receipt": EDIT,
        "logistics.receiptline": EDIT,
        "logistics.replenishmentrule": VIEW,
        # edi: suppliers' ORDRSP, DESADV and INVOIC come by EDI
        **EDI_OPERATE,
    },
    WAREHOUSE: {
        "trade.customernode": VIEW,
        "trade.customeraddress": VIEW,
        "trade.supplier": VIEW,
        "trade.article": VIEW,
        "trade.articlefamily": VIEW,
        "trade.brand": VIEW,
        "trade.packaging": VIEW,
        "trade.kitcomponent": VIEW,
        "trade.company": VIEW,
        # logistics: the physical stock: documents, locations, adjustments, lot status, recalls
        "logistics.warehouse": VIEW,
        "logistics.location": EDIT,
        "logistics.lot": ("view", "change"),
        "logistics.serialnumber": VIEW,
        "logistics.stockbalance": VIEW,
        "logistics.stockmove": ("view", "add"),
        "logistics.reservation": VIEW,
        "logistics.articlecost": VIEW,
        "logistics.articlecosthistory": VIEW,
        "logistics.receipt": EDIT,
        "logistics.receiptline": EDIT,
        "logistics.transfer": EDIT,
        "logistics.transferline": EDIT,
        "logistics.inventorycount": EDIT,
        "logistics.countline": EDIT,
        "logistics.assemblyorder": EDIT,
        "logistics.recall": ("view", "add"),
        "logistics.replenishmentrule": VIEW,
    },
    ACCOUNTING: {
        "trade.customernode": VIEW,
        "trade.customeraddress": VIEW,
        "trade.customercontact": VIEW,
        "trade.supplier": VIEW,
        "trade.supplieraddress": VIEW,
        "trade.suppliercontact": VIEW,
        "trade.supplierarticle": VIEW,
        "trade.article": VIEW,
        "trade.articlefamily": VIEW,
        "trade.brand": VIEW,
        "trade.packaging": VIEW,
        "trade.kitcomponent": VIEW,
        "trade.paymentterms": EDIT,
        "trade.company": ("view", "change"),
        "trade.pricelist": VIEW,
        "trade.documenttemplate": EDIT,
        # pricing: read the terms, settle year-end rebates
        "pricing.contract": VIEW,
        "pricing.condition": VIEW,
        "pricing.conditiontier": VIEW,
        "pricing.contractstatuschange": VIEW,
        "pricing.customersegment": VIEW,
        "pricing.pricelistitem": VIEW,
        "pricing.discountlevel": VIEW,
        "pricing.saleshistoryline": VIEW,
        "pricing.rebateagreement": EDIT,
        "pricing.rebatetier": EDIT,
        # logistics: stock, valuation (weighted average cost) and the documents behind it
        "logistics.warehouse": VIEW,
        "logistics.location": VIEW,
        "logistics.lot": VIEW,
        "logistics.serialnumber": VIEW,
        "logistics.stockbalance": VIEW,
        "logistics.stockmove": VIEW,
        "logistics.articlecost": VIEW,
        "logistics.articlecosthistory": VIEW,
        "logistics.receipt": VIEW,
        "logistics.receiptline": VIEW,
        "logistics.transfer": VIEW,
        "logistics.transferline": VIEW,
        "logistics.inventorycount": VIEW,
        "logistics.countline": VIEW,
        # edi: invoices exchanged by EDI (INVOIC), read only
        **EDI_VIEW,
    },
}


# sales (trade.sales): sales staff key quotes and orders and start deliveries; the
# warehouse picks and ships them; accounting reads everything.
_SALES_DOCUMENTS = ("sales.quote", "sales.quoteline", "sales.salesorder", "sales.salesorderline")
_DELIVERIES = ("sales.delivery", "sales.deliveryline")
ROLE_PERMISSIONS[SALES].update({**dict.fromkeys(_SALES_DOCUMENTS + _DELIVERIES, EDIT), "sales.salesevent": VIEW})
ROLE_PERMISSIONS[WAREHOUSE].update({**dict.fromkeys(_SALES_DOCUMENTS + ("sales.salesevent",), VIEW),
                                    **dict.fromkeys(_DELIVERIES, EDIT)})
ROLE_PERMISSIONS[ACCOUNTING].update(dict.fromkeys(_SALES_DOCUMENTS + _DELIVERIES + ("sales.salesevent",), VIEW))
ROLE_PERMISSIONS[PURCHASING].update(dict.fromkeys(("sales.salesorder", "sales.salesorderline"), VIEW))

def roles_sync() -> None:
    """Create the role groups and set their permissions; the admin role gets all."""
    # post_migrate runs this receiver before auth's own for each app: create every app's
    # permissions first, or the last app's models would be missing from the roles.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    all_permissions = Permission.objects.select_related("content_type")
    by_key = {
        f"{p.content_type.app_label}.{p.codename}": p for p in all_permissions
    }
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        if role == ADMIN:
            group.permissions.set(list(by_key.values()))
            continue
        wanted = []
        for model_key, actions in ROLE_PERMISSIONS.get(role, {}).items():
            app_label, model = model_key.split(".")
            for action in actions:
                permission = by_key.get(f"{app_label}.{action}_{model}")
                if permission is not None:
                    wanted.append(permission)
        group.permissions.set(wanted)
