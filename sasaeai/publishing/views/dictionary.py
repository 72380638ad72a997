"""The council's ふりがな dictionary (staff): words the analyser reads wrongly, with their readings, and a box to try
a sentence as residents would see it. Every change recomputes the readings of what is published."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from sasaeai.accounts.decorators import PermittedRequest, council_permission
from sasaeai.core.models import Council
from sasaeai.core.view_helpers import form_errors_from

from .. import furigana, services
from ..forms_dictionary import ReadingEntryForm, SearchForm, TryForm, save_warning
from ..models import ReadingEntry
from ..permissions import PUBLISH
from ..templatetags.public import ruby_html

PER_PAGE = 100


@council_permission(PUBLISH)
def entry_list(request: PermittedRequest, council: Council) -> HttpResponse:
    search = SearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    page = Paginator(furigana.dictionary_entries(council.pk, query), PER_PAGE).get_page(request.GET.get("page"))
    trial = TryForm(request.GET or None)
    text = trial.cleaned_data["text"] if trial.is_valid() else ""
    return render(
        request,
        "publishing/dictionary.html",
        {
            "council": council,
            "search": search,
            "query": query,
            "page": page,
            "trial": trial,
            "trial_text": text,
            "trial_html": ruby_html(furigana.ruby_preview(council.pk, text)) if text else "",
        },
    )


def _entry_form(request: PermittedRequest, council: Council, entry: ReadingEntry | None) -> HttpResponse:
    initial = {"surface": entry.surface, "reading": entry.reading, "note": entry.note} if entry else None
    form = ReadingEntryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.reading_entry_save(
                council=council,
                surface=data["surface"],
                reading=data["reading"],
                note=data["note"],
                entry=entry,
                by=request.user,
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(
                request,
                _("「%(word)s」の読みを「%(reading)s」にしました。公表中のページのふりがなも直しました。")
                % {"word": saved.surface, "reading": saved.reading},
            )
            if warning := save_warning(saved.surface):
                messages.warning(request, warning)
            return redirect("publishing:dictionary", council.pk)
    return render(request, "publishing/dictionary_form.html", {"council": council, "form": form, "entry": entry})


@council_permission(PUBLISH)
def entry_add(request: PermittedRequest, council: Council) -> HttpResponse:
    return _entry_form(request, council, None)


@council_permission(PUBLISH)
def entry_edit(request: PermittedRequest, council: Council, entry_id: int) -> HttpResponse:
    return _entry_form(request, council, furigana.dictionary_entry_get(council.pk, entry_id))


@council_permission(PUBLISH)
def entry_delete(request: PermittedRequest, council: Council, entry_id: int) -> HttpResponse:
    entry = furigana.dictionary_entry_get(council.pk, entry_id)
    if request.method == "POST":
        services.reading_entry_delete(entry=entry, by=request.user)
        messages.success(request, _("「%(word)s」を辞書から削除しました。") % {"word": entry.surface})
        return redirect("publishing:dictionary", council.pk)
    return render(request, "publishing/dictionary_delete.html", {"council": council, "entry": entry})


public_urls: list[URLPattern] = []
staff_urls: list[URLPattern] = [
    path("councils/<int:council_id>/public/dictionary/", entry_list, name="dictionary"),
    path("councils/<int:council_id>/public/dictionary/add/", entry_add, name="dictionary_add"),
    path("councils/<int:council_id>/public/dictionary/<int:entry_id>/", entry_edit, name="dictionary_edit"),
    path("councils/<int:council_id>/public/dictionary/<int:entry_id>/delete/", entry_delete, name="dictionary_delete"),
]
