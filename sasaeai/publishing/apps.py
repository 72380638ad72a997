from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "sasaeai.publishing"
    label = "publishing"
    verbose_name = "公開サイト"
