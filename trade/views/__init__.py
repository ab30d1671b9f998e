"""Browser back-office of the trade master data: customers, suppliers, articles.

Thin shells: reads go through ``trade.selectors`` (or plain querysets for lists and
filters), writes through ``trade.services``; every view checks a model permission.
"""
