from django.urls import path

from . import views_dashboard

app_name = "dashboard"

urlpatterns = [
    path("<int:plan_id>/dashboard/", views_dashboard.plan_dashboard, name="plan"),
]
