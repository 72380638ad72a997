from django.urls import path

from . import views

app_name = "progress"

urlpatterns = [
    path("<int:plan_id>/progress/", views.plan_progress, name="plan"),
    path("<int:plan_id>/progress/schedule/", views.schedule_edit, name="schedule"),
    path("<int:plan_id>/nodes/<int:node_id>/indicators/new/", views.indicator_create, name="indicator_create"),
    path("<int:plan_id>/nodes/<int:node_id>/indicators/<int:indicator_id>/", views.indicator_edit, name="indicator_edit"),
    path("<int:plan_id>/nodes/<int:node_id>/report/", views.report_edit, name="report"),
]
