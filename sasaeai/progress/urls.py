"""All URLs of progress (running the plan), each group under its own namespace:
``progress:`` and ``excel:`` and ``dashboard:`` under /plans/, ``running:`` (わたしの担当, statuses)."""

from django.urls import include, path

from .views import dashboard, excel, progress

progress_patterns = [
    path("<int:plan_id>/progress/", progress.plan_progress, name="plan"),
    path("<int:plan_id>/progress/schedule/", progress.schedule_edit, name="schedule"),
    path("<int:plan_id>/nodes/<int:node_id>/indicators/new/", progress.indicator_create, name="indicator_create"),
    path(
        "<int:plan_id>/nodes/<int:node_id>/indicators/<int:indicator_id>/",
        progress.indicator_edit,
        name="indicator_edit",
    ),
    path("<int:plan_id>/nodes/<int:node_id>/report/", progress.report_edit, name="report"),
    path("<int:plan_id>/organisation/", progress.organisation, name="organisation"),
    path("<int:plan_id>/organisation/groups/new/", progress.group_edit, name="group_create"),
    path("<int:plan_id>/organisation/groups/<int:group_id>/", progress.group_edit, name="group_edit"),
    path("<int:plan_id>/organisation/meetings/new/", progress.meeting_edit, name="meeting_create"),
    path("<int:plan_id>/organisation/meetings/<int:meeting_id>/", progress.meeting_edit, name="meeting_edit"),
    path("<int:plan_id>/annual/", progress.annual_plans, name="annual_plans"),
    path("<int:plan_id>/history/<int:entry_id>/restore/", progress.audit_restore, name="audit_restore"),
    path("<int:plan_id>/attachments/<int:attachment_id>/", progress.attachment_download, name="attachment"),
    path("<int:plan_id>/nodes/<int:node_id>/annual/", progress.annual_plan_edit, name="annual_plan_edit"),
]

excel_patterns = [
    path("<int:plan_id>/excel/", excel.excel_page, name="plan"),
    path("<int:plan_id>/excel/download/", excel.excel_download, name="download"),
    path("<int:plan_id>/excel/upload/", excel.excel_upload, name="upload"),
    path("<int:plan_id>/excel/confirm/", excel.excel_confirm, name="confirm"),
]

dashboard_patterns = [
    path("<int:plan_id>/dashboard/", dashboard.plan_dashboard, name="plan"),
]

running_patterns = [
    path("my/", progress.my_items, name="my_items"),
    path("councils/<int:council_id>/statuses/", progress.statuses_edit, name="statuses"),
]

urlpatterns = [
    path("plans/", include((progress_patterns, "progress"))),
    path("plans/", include((excel_patterns, "excel"))),
    path("plans/", include((dashboard_patterns, "dashboard"))),
    path("", include((running_patterns, "running"))),
]
