"""Write use-cases of the trade domain. Each public function is one transaction."""

from .catalogue import article_save, kit_components_set, price_list_save
from .nested import (
    article_packagings_set,
    child_id_errors,
    customer_addresses_set,
    customer_contacts_set,
    packaging_errors,
    packaging_gtin_assign,
    supplier_addresses_set,
    supplier_contacts_set,
)
from .parties import customer_node_gln_assign, customer_node_save, family_save
from .references import (
    customer_article_reference_create,
    customer_article_reference_delete,
    customer_article_reference_update,
)

__all__ = [
    "article_packagings_set",
    "article_save",
    "child_id_errors",
    "customer_addresses_set",
    "customer_article_reference_create",
    "customer_article_reference_delete",
    "customer_article_reference_update",
    "customer_contacts_set",
    "customer_node_gln_assign",
    "customer_node_save",
    "family_save",
    "kit_components_set",
    "packaging_errors",
    "packaging_gtin_assign",
    "price_list_save",
    "supplier_addresses_set",
    "supplier_contacts_set",
]
