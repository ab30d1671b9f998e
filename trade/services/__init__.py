"""Write use-cases of the trade domain. Each public function is one transaction."""

from .catalogue import article_save, kit_components_set, price_list_save
from .parties import customer_node_save, family_save

__all__ = ["article_save", "customer_node_save", "family_save", "kit_components_set", "price_list_save"]
