"""REST API of sales: quotes, orders, order lines and deliveries (thin shells over the services)."""
