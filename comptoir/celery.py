"""The Celery application. Without CELERY_BROKER_URL tasks run eagerly (demo, tests)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings.dev")

app = Celery("comptoir")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
