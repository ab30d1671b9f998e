from django.apps import AppConfig


class EdiConfig(AppConfig):
    name = "edi"
