"""Browser screens of sales: thin shells over services and selectors."""
