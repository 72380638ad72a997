from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sasaeai.core"
    label = "core"
    verbose_name = "基盤"
