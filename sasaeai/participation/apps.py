from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "sasaeai.participation"
    label = "participation"
    verbose_name = "策定・住民参加"
