from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "sasaeai.progress"
    label = "progress"
    verbose_name = "推進・進行管理"
