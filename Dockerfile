# Production image: gunicorn serves Django, the same image runs Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=comptoir.settings.prod

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 comptoir

WORKDIR /app
COPY pyproject.toml README.md ./
COPY comptoir ./comptoir
COPY trade ./trade
COPY pricing ./pricing
COPY logistics ./logistics
COPY edi ./edi
COPY locale ./locale
COPY fixtures ./fixtures
COPY manage.py ./
# Editable: the code, templates and locale/ are served from /app, where BASE_DIR points.
RUN pip install -e . \
 && SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput

USER comptoir
EXPOSE 8000
CMD ["gunicorn", "comptoir.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--timeout", "60", "--access-logfile", "-"]
