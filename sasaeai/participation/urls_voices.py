"""participation URLs: the formulation record of a plan (overview and timeline, steps, workshops and
hearings, voices, traceability) under plans/<plan_id>/, and committees under councils/<council_id>/
(a committee belongs to a council and optionally to one of its plans)."""
from django.urls import path

from . import views

app_name = "participation"

P = "plans/<int:plan_id>/participation/"
C = "councils/<int:council_id>/committees/"

urlpatterns = [
    path(P, views.overview, name="overview"),
    path(P + "steps/", views.steps_edit, name="steps"),
    path(P + "sessions/", views.session_list, name="sessions"),
    path(P + "sessions/new/", views.session_create, name="session_create"),
    path(P + "sessions/<int:session_id>/", views.session_detail, name="session"),
    path(P + "sessions/<int:session_id>/edit/", views.session_edit, name="session_edit"),
    path(P + "voices/", views.voice_list, name="voices"),
    path(P + "voices/new/", views.voice_create, name="voice_create"),
    path(P + "voices/<int:voice_id>/", views.voice_detail, name="voice"),
    path(P + "voices/<int:voice_id>/edit/", views.voice_edit, name="voice_edit"),
    path(P + "tags/", views.tags, name="tags"),
    path(P + "trace/", views.trace, name="trace"),
    path("plans/<int:plan_id>/issues/<int:issue_id>/voices/", views.issue_detail, name="issue"),
    path(C, views.committee_list, name="committees"),
    path(C + "new/", views.committee_create, name="committee_create"),
    path(C + "<int:committee_id>/", views.committee_detail, name="committee"),
    path(C + "<int:committee_id>/edit/", views.committee_edit, name="committee_edit"),
    path(C + "<int:committee_id>/members/", views.committee_members, name="committee_members"),
    path(C + "<int:committee_id>/meetings/new/", views.meeting_create, name="meeting_create"),
    path(C + "<int:committee_id>/meetings/<int:meeting_id>/", views.meeting_edit, name="meeting_edit"),
    path(C + "materials/<int:material_id>/", views.material_download, name="material"),
]
