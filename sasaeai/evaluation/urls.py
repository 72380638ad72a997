from django.urls import path

from . import views

app_name = "evaluation"
urlpatterns = [
    path("plans/<int:plan_id>/evaluation/", views.plan_evaluation, name="plan"),
    path("plans/<int:plan_id>/evaluation/projects/<int:node_id>/", views.project_evaluation, name="project"),
    path("plans/<int:plan_id>/evaluation/opinion/", views.opinion, name="opinion"),
    path("plans/<int:plan_id>/evaluation/close/", views.close_year, name="close"),
    path("councils/<int:council_id>/evaluation-settings/", views.settings_view, name="settings"),
]
