"""中間評価 (snapshots of a plan and their comparison) and 次期計画, under /plans/."""
from django.urls import path

from . import views_midterm as views

app_name = "midterm"
urlpatterns = [
    path("<int:plan_id>/midterm/", views.snapshot_list, name="list"),
    path("<int:plan_id>/midterm/<int:snapshot_id>/", views.snapshot_detail, name="snapshot"),
    path("<int:plan_id>/midterm/<int:snapshot_id>/compare/", views.snapshot_compare, name="compare"),
    path("<int:plan_id>/next-plan/", views.next_plan, name="next_plan"),
]
