from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("sasaeai.accounts.urls")),
    path("", include("sasaeai.core.urls")),
    path("plans/", include("sasaeai.plans.urls")),
    path("plans/", include("sasaeai.progress.urls")),
    path("django-admin/", admin.site.urls),
]
