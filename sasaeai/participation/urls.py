"""All URLs of participation (formulating with residents), each part under its own namespace:
``participation:`` (the formulation record of a plan: overview and timeline, steps, workshops and
hearings, voices, traceability under plans/<plan_id>/; committees under councils/<council_id>/),
``surveys:`` (staff pages under plans/<plan_id>/surveys/ and the public answer form),
``comments:`` (staff pages of パブリックコメント) and ``public:`` (residents' pages, no login)."""

from django.urls import include, path

from .views import comments, committees, public, surveys, voices

P = "plans/<int:plan_id>/participation/"
C = "councils/<int:council_id>/committees/"
BASE = "plans/<int:plan_id>/surveys/"
ONE = BASE + "<int:questionnaire_id>/"

voice_patterns = [
    path(P, voices.overview, name="overview"),
    path(P + "steps/", voices.steps_edit, name="steps"),
    path(P + "sessions/", voices.session_list, name="sessions"),
    path(P + "sessions/new/", voices.session_create, name="session_create"),
    path(P + "sessions/<int:session_id>/", voices.session_detail, name="session"),
    path(P + "sessions/<int:session_id>/edit/", voices.session_edit, name="session_edit"),
    path(P + "voices/", voices.voice_list, name="voices"),
    path(P + "voices/new/", voices.voice_create, name="voice_create"),
    path(P + "voices/<int:voice_id>/", voices.voice_detail, name="voice"),
    path(P + "voices/<int:voice_id>/edit/", voices.voice_edit, name="voice_edit"),
    path(P + "tags/", voices.tags, name="tags"),
    path(P + "trace/", voices.trace, name="trace"),
    path("plans/<int:plan_id>/issues/<int:issue_id>/voices/", voices.issue_detail, name="issue"),
    path(C, committees.committee_list, name="committees"),
    path(C + "new/", committees.committee_create, name="committee_create"),
    path(C + "<int:committee_id>/", committees.committee_detail, name="committee"),
    path(C + "<int:committee_id>/edit/", committees.committee_edit, name="committee_edit"),
    path(C + "<int:committee_id>/members/", committees.committee_members, name="committee_members"),
    path(C + "<int:committee_id>/meetings/new/", committees.meeting_create, name="meeting_create"),
    path(C + "<int:committee_id>/meetings/<int:meeting_id>/", committees.meeting_edit, name="meeting_edit"),
    path(C + "materials/<int:material_id>/", committees.material_download, name="material"),
]

survey_patterns = [
    path(BASE, surveys.survey_list, name="list"),
    path(BASE + "new/", surveys.survey_create, name="create"),
    path(ONE, surveys.survey_results, name="results"),
    path(ONE + "edit/", surveys.survey_edit, name="edit"),
    path(ONE + "delete/", surveys.survey_delete, name="delete"),
    path(ONE + "status/", surveys.survey_status, name="status"),
    path(ONE + "questions/", surveys.survey_questions, name="questions"),
    path(ONE + "questions/new/", surveys.question_edit, name="question_add"),
    path(ONE + "questions/<int:question_id>/", surveys.question_edit, name="question_edit"),
    path(ONE + "questions/<int:question_id>/delete/", surveys.question_delete, name="question_delete"),
    path(ONE + "questions/<int:question_id>/move/", surveys.question_move, name="question_move"),
    path(ONE + "import/", surveys.survey_import, name="import"),
    path(ONE + "import/confirm/", surveys.survey_import_confirm, name="import_confirm"),
    path(ONE + "responses/delete/", surveys.responses_delete, name="responses_delete"),
    path(ONE + "cross/", surveys.survey_cross, name="cross"),
    path(ONE + "free/", surveys.survey_free, name="free"),
    path(ONE + "free/<int:response_id>/<int:question_id>/tags/", surveys.survey_free_tag, name="free_tag"),
    path(ONE + "export.xlsx", surveys.survey_export, name="export"),
    path("public/surveys/<str:key>/", surveys.public_survey, name="public"),
    path("public/surveys/<str:key>/thanks/", surveys.public_survey_thanks, name="public_thanks"),
]

comment_patterns = [
    path("plans/<int:plan_id>/public-comment/", comments.periods, name="periods"),
    path("plans/<int:plan_id>/public-comment/new/", comments.period_form, name="period_new"),
    path("plans/<int:plan_id>/public-comment/<int:period_id>/", comments.comment_list, name="comments"),
    path("plans/<int:plan_id>/public-comment/<int:period_id>/edit/", comments.period_form, name="period_edit"),
    path("plans/<int:plan_id>/public-comment/<int:period_id>/publish/", comments.publish, name="publish"),
    path("plans/<int:plan_id>/public-comment/<int:period_id>/export/", comments.export, name="export"),
    path(
        "plans/<int:plan_id>/public-comment/<int:period_id>/comments/<int:number>/",
        comments.comment_edit,
        name="comment",
    ),
]

public_patterns = [
    path("public/comment/<str:key>/", public.comment_page, name="comment"),
    path("public/comment/<str:key>/submit/", public.comment_submit, name="comment_submit"),
    path("public/comment/<str:key>/thanks/<int:number>/", public.comment_thanks, name="comment_thanks"),
    path("public/comment/<str:key>/results/", public.comment_results, name="comment_results"),
]

urlpatterns = [
    path("", include((voice_patterns, "participation"))),
    path("", include((survey_patterns, "surveys"))),
    path("", include((comment_patterns, "comments"))),
    path("", include((public_patterns, "public"))),
]
