from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "sasaeai.evaluation"
    label = "evaluation"
    verbose_name = "評価・改善"

    def ready(self):
        from sasaeai.core.services import council_setup_register
        from sasaeai.progress.midterm import latest_midterm_register

        from .midterm import latest_midterm_of
        from .services import evaluation_setup

        council_setup_register(evaluation_setup)
        latest_midterm_register(latest_midterm_of)
