from django.urls import path

from . import views

app_name = "progress"

urlpatterns = [
    path("<int:plan_id>/progress/", views.plan_progress, name="plan"),
    path("<int:plan_id>/progress/schedule/", views.schedule_edit, name="schedule"),
    path("<int:plan_id>/nodes/<int:node_id>/indicators/new/", views.indicator_create, name="indicator_create"),
    path("<int:plan_id>/nodes/<int:node_id>/indicators/<int:indicator_id>/", views.indicator_edit, name="indicator_edit"),
    path("<int:plan_id>/nodes/<int:node_id>/report/", views.report_edit, name="report"),
    path("<int:plan_id>/organisation/", views.organisation, name="organisation"),
    path("<int:plan_id>/organisation/groups/new/", views.group_edit, name="group_create"),
    path("<int:plan_id>/organisation/groups/<int:group_id>/", views.group_edit, name="group_edit"),
    path("<int:plan_id>/organisation/meetings/new/", views.meeting_edit, name="meeting_create"),
    path("<int:plan_id>/organisation/meetings/<int:meeting_id>/", views.meeting_edit, name="meeting_edit"),
    path("<int:plan_id>/annual/", views.annual_plans, name="annual_plans"),
    path("<int:plan_id>/history/<int:entry_id>/restore/", views.audit_restore, name="audit_restore"),
    path("<int:plan_id>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("<int:plan_id>/nodes/<int:node_id>/annual/", views.annual_plan_edit, name="annual_plan_edit"),
]
