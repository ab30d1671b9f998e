"""Deterministic demo data for Comptoir (``python manage.py seed_demo``)."""

from .seed import (
    DEMO_MARKER_CODE,
    DEMO_USERS,
    MASTER_DATA_MODELS,
    DemoLogin,
    SeedResult,
    demo_data_counts,
    demo_data_exists,
    demo_data_reset,
    demo_data_seed,
    demo_users_sync,
)

__all__ = [
    "DEMO_MARKER_CODE",
    "DEMO_USERS",
    "MASTER_DATA_MODELS",
    "DemoLogin",
    "SeedResult",
    "demo_data_counts",
    "demo_data_exists",
    "demo_data_reset",
    "demo_data_seed",
    "demo_users_sync",
]
