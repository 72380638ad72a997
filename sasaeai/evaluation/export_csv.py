"""評価データ (CSV): the raw figures, one row per project × indicator (a project without indicators
gets one row with the indicator columns empty). UTF-8 with a BOM so Excel opens it as Japanese;
numbers written plainly (100, 45.5: never 1E+2). Built from an ``EvaluationReport``.

A text cell that Excel would take for a formula (starting with = + - @) is prefixed with ' .
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from .reports import EvaluationReport, plain

CONTENT_TYPE = "text/csv; charset=utf-8"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return f"'{value}" if value and value.startswith(_FORMULA_START) else value


def header(report: EvaluationReport) -> list[str]:
    return [
        _("目標番号"),
        _("目標"),
        _("事業番号"),
        _("事業"),
        _("指標"),
        _("単位"),
        _("基準値"),
        _("目標値"),
        _("実績値"),
        _("達成率（％）"),
        _("事業の達成率（％）"),
        _("評価（現在）"),
        _("評価の段階"),
        _("方向性"),
    ] + [_("%(stage)s（記号）") % {"stage": label} for _stage, label in report.stages]


def rows(report: EvaluationReport):
    for goal in report.goals:
        for project in goal.projects:
            stage_cells = [m.grade if m.state == "submitted" else "" for m in project.marks]
            common = [_text(project.grade), project.grade_stage, _text(project.direction)]
            head = [_text(goal.code), _text(goal.title), _text(project.code), _text(project.title)]
            achievement = plain(project.achievement)
            for indicator in project.indicators or [None]:
                if indicator is None:
                    figures = ["", "", "", "", "", ""]
                else:
                    actual = plain(indicator.actual) if indicator.actual is not None else _text(indicator.actual_text)
                    figures = [
                        _text(indicator.name),
                        _text(indicator.unit),
                        plain(indicator.baseline),
                        plain(indicator.target),
                        actual,
                        plain(indicator.rate),
                    ]
                yield head + figures + [achievement] + common + [_text(c) for c in stage_cells]


def build(report: EvaluationReport) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header(report))
    writer.writerows(rows(report))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
