from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):  # noqa: ANN001, ARG001 - Django signal signature
    from comptoir.roles import roles_sync

    roles_sync()


class ComptoirConfig(AppConfig):
    name = "comptoir"
    verbose_name = "Comptoir"

    def ready(self) -> None:
        # Infrastructure, not domain flow: permissions exist only after migrate.
        post_migrate.connect(_sync_roles, dispatch_uid="comptoir.roles_sync")
