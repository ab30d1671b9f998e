"""Sales: quotes, sales orders, deliveries (a sub-app of trade, above logistics).

It prices with ``pricing`` and reserves and ships with ``logistics``; the master
data of ``trade`` never imports it (import-linter contracts in pyproject.toml).
"""
