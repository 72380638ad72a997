from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "sasaeai.progress"
    label = "progress"
    verbose_name = "推進・進行管理"

    def ready(self):
        from sasaeai.core.services import council_setup_register

        from .services import statuses_setup

        council_setup_register(statuses_setup)
