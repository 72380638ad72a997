from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from sasaeai.core import error_views

# One urls.py per app; an app's URLs may sit under several namespaces (see each urls.py).
urlpatterns = [
    # First: the public site is what most requests ask for (residents), and its addresses are its own
    # (/public/…, plus plans/<id>/public/… and councils/<id>/public/… for staff).
    path("", include("sasaeai.publishing.urls")),
    path("", include("sasaeai.accounts.urls")),
    path("", include("sasaeai.core.urls")),
    path("plans/", include("sasaeai.plans.urls")),
    path("", include("sasaeai.progress.urls")),
    path("", include("sasaeai.evaluation.urls")),
    path("", include("sasaeai.participation.urls")),
    path("favicon.ico", error_views.favicon),
]
# The Django admin: superusers only (sasaeai.core.admin_site), at a path the installation chooses.
if settings.SASAEAI_ADMIN_PATH:
    urlpatterns.append(path(f"{settings.SASAEAI_ADMIN_PATH}/", admin.site.urls))

# 400, 403 and 500 are Django's own handlers rendering sasaeai/templates/400.html … 500.html; 404 adds JSON
# for the public API (sasaeai.core.error_views.not_found).
handler404 = "sasaeai.core.error_views.not_found"
