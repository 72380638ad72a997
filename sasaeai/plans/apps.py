from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "sasaeai.plans"
    label = "plans"
    verbose_name = "計画"
