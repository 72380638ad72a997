from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("new/<int:council_id>/", views.plan_create, name="create"),
    path("import/<int:council_id>/", views.plan_import, name="import"),
    path("<int:plan_id>/", views.plan_overview, name="overview"),
    path("<int:plan_id>/structure/", views.plan_structure, name="structure"),
    path("<int:plan_id>/issues/", views.plan_matrix, name="matrix"),
    path("<int:plan_id>/issues/new/", views.issue_create, name="issue_create"),
    path("<int:plan_id>/issues/<int:issue_id>/edit/", views.issue_edit, name="issue_edit"),
    path("<int:plan_id>/issues/<int:issue_id>/delete/", views.issue_delete, name="issue_delete"),
    path("<int:plan_id>/history/", views.plan_history, name="history"),
    path("<int:plan_id>/export/", views.plan_export, name="export"),
    path("<int:plan_id>/edit/", views.plan_edit, name="edit"),
    path("<int:plan_id>/delete/", views.plan_delete, name="delete"),
    path("<int:plan_id>/levels/", views.plan_levels, name="levels"),
    path("<int:plan_id>/editor/", views.plan_editor, name="editor"),
    path("<int:plan_id>/nodes/new/", views.node_create, name="node_create"),
    path("<int:plan_id>/nodes/<int:node_id>/", views.node_detail, name="node"),
    path("<int:plan_id>/nodes/<int:node_id>/edit/", views.node_edit, name="node_edit"),
    path("<int:plan_id>/nodes/<int:node_id>/quick/", views.node_quick_action, name="node_quick"),
    path("<int:plan_id>/nodes/<int:node_id>/move/", views.node_move, name="node_move"),
    path("<int:plan_id>/nodes/<int:node_id>/delete/", views.node_delete, name="node_delete"),
]
