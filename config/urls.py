from django.contrib import admin
from django.urls import include, path

# One urls.py per app; an app's URLs may sit under several namespaces (see each urls.py).
urlpatterns = [
    path("", include("sasaeai.accounts.urls")),
    path("", include("sasaeai.core.urls")),
    path("plans/", include("sasaeai.plans.urls")),
    path("", include("sasaeai.progress.urls")),
    path("", include("sasaeai.evaluation.urls")),
    path("", include("sasaeai.participation.urls")),
    path("django-admin/", admin.site.urls),
]
