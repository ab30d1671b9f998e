"""Models arrive with this domain's issue."""
