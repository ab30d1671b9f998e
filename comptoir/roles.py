"""Roles are Django groups holding model permissions; this module defines them as data.

``roles_sync()`` (run after every migrate) creates the groups and gives each exactly
the permissions listed here, so a deployment never drifts from the code. Apps added
by later issues extend ROLE_PERMISSIONS with their own models.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

SALES = "sales"
PURCHASING = "purchasing"
WAREHOUSE = "warehouse"
ACCOUNTING = "accounting"
ADMIN = "admin"
ROLES = (SALES, PURCHASING, WAREHOUSE, ACCOUNTING, ADMIN)

VIEW = ("view",)
EDIT = ("view", "add", "change", "delete")

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
        "trade.packaging": VIEW,
        "trade.kitcomponent": VIEW,
        "trade.company": VIEW,
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
        "trade.kitcomponent": EDIT,
        "trade.customernode": VIEW,
        "trade.paymentterms": VIEW,
        "trade.company": VIEW,
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
    },
}


def roles_sync() -> None:
    """Create the role groups and set their permissions; the admin role gets all."""
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
