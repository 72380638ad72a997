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
    path("", include("sasaeai.evaluation.urls")),
    path("plans/", include("sasaeai.evaluation.urls_reports")),
    path("plans/", include("sasaeai.evaluation.urls_midterm")),
    path("", include("sasaeai.participation.urls_voices")),
    path("", include("sasaeai.participation.urls_surveys")),
    path("", include("sasaeai.participation.urls_comments")),
    path("", include("sasaeai.participation.urls_public")),
    path("django-admin/", admin.site.urls),
]
