"""Write use-cases of logistics: the ledger, documents that post moves, reservations."""
