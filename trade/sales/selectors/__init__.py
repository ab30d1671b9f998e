"""Read use-cases of sales, shared by screens, API and EDI."""
