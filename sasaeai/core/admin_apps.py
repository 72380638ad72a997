"""Installed instead of ``django.contrib.admin`` (kept apart from admin_site.py, which imports models)."""

from django.contrib.admin.apps import AdminConfig


class SasaeaiAdminConfig(AdminConfig):
    """``admin.site`` is the superuser-only site of ``sasaeai.core.admin_site``."""

    default_site = "sasaeai.core.admin_site.SuperuserAdminSite"
