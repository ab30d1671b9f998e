"""REST API of the pricing domain: thin DRF views over pricing.services and pricing.selectors."""
