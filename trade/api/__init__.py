"""REST API of the trade domain: thin DRF views over trade.services and trade.selectors."""
