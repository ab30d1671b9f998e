"""Local demo: SQLite by default, debug on, a throwaway secret when none is given."""

from .base import *  # noqa: F401,F403
from .base import SECRET_KEY as _SECRET_KEY
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = _SECRET_KEY or "dev-only-not-secret-comptoir-demo"  # never used in prod settings

# runserver and the test client serve static files themselves; WhiteNoise is for prod.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]  # noqa: F405

# SQLite (the demo database) cannot enforce "NULLS NOT DISTINCT" unique constraints; the
# services create balance rows only when missing, and PostgreSQL enforces them for real.
SILENCED_SYSTEM_CHECKS = ["models.W047"]
