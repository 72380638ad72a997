"""Survey URLs (アンケート): staff pages under plans/<plan_id>/surveys/ and the public answer form."""
from django.urls import path

from . import views_surveys as views

app_name = "surveys"

BASE = "plans/<int:plan_id>/surveys/"
ONE = BASE + "<int:questionnaire_id>/"

urlpatterns = [
    path(BASE, views.survey_list, name="list"),
    path(BASE + "new/", views.survey_create, name="create"),
    path(ONE, views.survey_results, name="results"),
    path(ONE + "edit/", views.survey_edit, name="edit"),
    path(ONE + "delete/", views.survey_delete, name="delete"),
    path(ONE + "status/", views.survey_status, name="status"),
    path(ONE + "questions/", views.survey_questions, name="questions"),
    path(ONE + "questions/new/", views.question_edit, name="question_add"),
    path(ONE + "questions/<int:question_id>/", views.question_edit, name="question_edit"),
    path(ONE + "questions/<int:question_id>/delete/", views.question_delete, name="question_delete"),
    path(ONE + "questions/<int:question_id>/move/", views.question_move, name="question_move"),
    path(ONE + "import/", views.survey_import, name="import"),
    path(ONE + "import/confirm/", views.survey_import_confirm, name="import_confirm"),
    path(ONE + "responses/delete/", views.responses_delete, name="responses_delete"),
    path(ONE + "cross/", views.survey_cross, name="cross"),
    path(ONE + "free/", views.survey_free, name="free"),
    path(ONE + "free/<int:response_id>/<int:question_id>/tags/", views.survey_free_tag, name="free_tag"),
    path(ONE + "export.xlsx", views.survey_export, name="export"),
    path("public/surveys/<str:key>/", views.public_survey, name="public"),
    path("public/surveys/<str:key>/thanks/", views.public_survey_thanks, name="public_thanks"),
]
