from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("sasaeai.accounts.urls")),
    path("", include("sasaeai.core.urls")),
    path("plans/", include("sasaeai.plans.urls")),
    path("plans/", include("sasaeai.progress.urls")),
    path("plans/", include("sasaeai.progress.urls_excel")),
    path("plans/", include("sasaeai.progress.urls_dashboard")),
    path("", include("sasaeai.progress.urls_running")),
    path("django-admin/", admin.site.urls),
]
