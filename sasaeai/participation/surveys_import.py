"""Importing survey responses from a CSV or Excel file (see docs/surveys.md).

parse → validate everything → preview → confirm → ``apply`` in one transaction. ``parse`` reads the
whole file against the questionnaire and raises ``SurveyImportError`` with every problem found
(each names the row and the column in Japanese; the first 50 are shown with the total);
nothing is written until ``apply``, and ``apply`` writes everything or nothing.

- CSV: UTF-8 with or without BOM, or Shift_JIS (cp932). Detection: a BOM → UTF-8; else strict UTF-8;
  else cp932. A file that decodes in neither, or mixes the two across lines, is refused, naming the
  first line that does not fit. Comma-separated, or tab-separated when the header row has tabs and
  no commas.
- Excel: .xlsx (the first sheet), read with openpyxl in read-only mode after checking the zip.
- Row 1 holds the headers: the respondent-ID column (``surveys.ID_HEADERS``: 回答者番号, 回答者ID,
  回答番号, ID, No, No., 番号, サンプル番号) and one column per question, headed by its code. A
  multiple-choice answer is one cell of codes separated by "," "、" ";" or spaces, or one 0/1 column
  per choice headed "<question code>_<choice code>".
- Limits: ``SASAEAI_SURVEY_MAX_ROWS`` (200,000 data rows), ``SASAEAI_SURVEY_MAX_BYTES`` (50 MB), 16,384
  columns, and the zip guard of ``sasaeai.core.imports`` (see ``SurveyResponseImporter``).
"""

from __future__ import annotations

import csv
import io
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeAlias

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.core.audit import log_action
from sasaeai.core.imports import Importer, ImportRefused, Problem, Problems, Source, column_name, size_label
from sasaeai.core.imports.sniff import Kind

from .models import Question, Questionnaire, Response, Voice
from .services import surveys

MAX_ZIP_ENTRIES = 500
MAX_COLUMNS = 16_384  # Excel's widest sheet (XFD)
PREVIEW_ROWS = 10
BATCH = 5000
MODE_APPEND = "append"
MODE_REPLACE = "replace"
MODES = (MODE_APPEND, MODE_REPLACE)


def max_rows() -> int:
    return int(surveys.setting("SASAEAI_SURVEY_MAX_ROWS", 200_000))


def max_bytes() -> int:
    return int(surveys.setting("SASAEAI_SURVEY_MAX_BYTES", 50 * 1024 * 1024))


# --------------------------------------------------------------------------- problems


class SurveyImportError(ImportRefused):
    """The file cannot be imported; ``problems`` (the first 50) and ``total`` say why. Nothing was saved."""


def _collector() -> Problems:
    return Problems(error=SurveyImportError)


def _fail(message: object, row: int | None = None, column: int | None = None, header: str = "") -> NoReturn:
    raise SurveyImportError([Problem(str(message), row, column, header)])


def too_large_message() -> str:
    return _("ファイルが大きすぎます（%(size)sまで）。ファイルを分けて取り込んでください。") % {
        "size": size_label(max_bytes())
    }


# --------------------------------------------------------------------------- reading the bytes


def _csv_rows(source: Source):
    text, encoding = source.text, source.encoding
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)

    def rows():
        number = 0
        try:
            for cells in reader:
                number += 1
                yield number, cells
        except csv.Error as exc:
            _fail(_("CSV として読み込めません（%(detail)s）。") % {"detail": str(exc)}, row=number + 1)

    return rows(), encoding


def _xlsx_rows(raw: bytes):
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        sheet = wb.worksheets[0]
    except SurveyImportError:
        raise
    except Exception:  # openpyxl raises many kinds for a broken file
        _fail(
            _(
                "Excel ファイル（.xlsx）が壊れているため読み込めません。"
                "Excel で開けるか確かめてから、もう一度保存してください。"
            )
        )

    def rows():
        number = 0
        try:
            for cells in sheet.iter_rows(values_only=True):
                number += 1
                yield number, cells
        except SurveyImportError:
            raise
        except Exception:
            _fail(
                _("Excel ファイル（.xlsx）の %(row)s行目 を読み込めません。ファイルが壊れていないか確かめてください。")
                % {"row": f"{number + 1:,}"}
            )
        finally:
            wb.close()

    return rows(), _("Excel（%(sheet)s シート）") % {"sheet": sheet.title}


# --------------------------------------------------------------------------- the result

# A data row read: (row number, respondent number, answers by question code).
ParsedRow: TypeAlias = tuple[int, str, dict[str, Any]]


@dataclass
class QuestionColumns:
    spec: surveys.QuestionSpec
    column: int | None = None  # 0-based, one column of answers
    dummies: list[tuple[int, str]] = field(default_factory=list)  # (0-based column, choice code) of 0/1 columns
    blank: int = 0


@dataclass
class ParsedImport:
    questionnaire_id: int
    data_version: int
    filename: str
    encoding: str
    mode: str
    headers: list[str]
    questions: list[QuestionColumns]
    rows: list[ParsedRow]
    skipped_blank: int = 0
    existing: int = 0  # responses held before
    replaced: int = 0  # responses the import deletes (replace mode)
    voices_lost: int = 0  # voices made from free answers of those responses
    multiple_format: str = ""

    @property
    def count(self):
        return len(self.rows)

    def preview(self, limit=PREVIEW_ROWS):
        """The first rows as display values, one per question."""
        out = []
        for number, respondent, answers in self.rows[:limit]:
            values = []
            for qc in self.questions:
                value = answers.get(qc.spec.code)
                if value is None:
                    values.append("")
                elif isinstance(value, list):
                    values.append(",".join(value))
                else:
                    values.append(str(value))
            out.append((number, respondent, values))
        return out

    def blanks(self):
        """[(QuestionSpec, blank count, answered count)]."""
        return [(qc.spec, qc.blank, self.count - qc.blank) for qc in self.questions]


# --------------------------------------------------------------------------- parsing


def _header_text(value) -> str:
    return unicodedata.normalize("NFKC", surveys._cell_text(value)).strip()


def _match_headers(headers, spec):
    """(id column, [QuestionColumns]) or the problems of the header row."""
    errors = _collector()
    keys = [surveys.header_key(h) for h in headers]
    seen = {}
    for i, key in enumerate(keys):
        if not key:
            continue
        if key in seen:
            errors.add(
                _("列名「%(name)s」が2回あります（%(a)s列と%(b)s列）。")
                % {"name": headers[i], "a": column_name(seen[key] + 1), "b": column_name(i + 1)},
                row=1,
                column=i + 1,
            )
        else:
            seen[key] = i
    errors.raise_if_any()
    id_column = next((i for i, key in enumerate(keys) if key in surveys.ID_HEADER_KEYS), None)
    used = set() if id_column is None else {id_column}
    columns, missing = [], []
    for q in spec.questions:
        key = surveys.header_key(q.code)
        if key in seen:
            columns.append(QuestionColumns(q, column=seen[key]))
            used.add(seen[key])
            continue
        if q.kind == Question.Kind.MULTIPLE:
            dummies = [(seen.get(surveys.header_key(f"{q.code}_{code}")), code) for code, _l in q.categories]
            present = [d for d in dummies if d[0] is not None]
            if present:
                absent = [f"{q.code}_{code}" for col, code in dummies if col is None]
                if absent:
                    missing.extend(absent)
                columns.append(QuestionColumns(q, dummies=present))
                used.update(col for col, _c in present)
                continue
        missing.append(q.code)
    unknown = [f"{column_name(i + 1)}列「{headers[i]}」" for i, key in enumerate(keys) if key and i not in used]
    if id_column is None:
        errors.add(
            _("回答者番号の列がありません。1行目の見出しのどれかを「%(names)s」のいずれかにしてください。")
            % {"names": "」「".join(surveys.ID_HEADERS[:5])},
            row=1,
        )
    if missing:
        errors.add(
            _("質問の列が足りません: %(codes)s（1行目の見出しに、質問の列名と同じ名前が必要です）。")
            % {"codes": "、".join(missing)},
            row=1,
        )
    if unknown:
        errors.add(
            _(
                "このアンケートにない列があります: %(cols)s。列名を変えていないか、別のアンケートのファイルでないか"
                "確かめてください。"
            )
            % {"cols": "、".join(unknown[:30]) + ("…" if len(unknown) > 30 else "")},
            row=1,
        )
    errors.raise_if_any()
    return id_column, columns


def _is_blank_cell(value):
    return value is None or value == "" or (value.__class__ is str and not value.strip())


class SurveyResponseImporter(Importer[ParsedImport]):
    """Survey responses through the import pipeline: a CSV (UTF-8 or Shift_JIS) or an xlsx, read
    against ``questionnaire``; apply writes them in one transaction."""

    kind = "survey_responses"
    accepts = frozenset({"text", "zip"})
    max_zip_entries = MAX_ZIP_ENTRIES
    problem_error = SurveyImportError
    refusals = {
        "too_large": gettext_lazy("ファイルが大きすぎます（%(max)sまで）。ファイルを分けて取り込んでください。"),
        "empty": gettext_lazy(
            "ファイルが空です。回答の入った CSV ファイルか Excel ファイル（.xlsx）を選んでください。"
        ),
        "ole": gettext_lazy(
            "古い形式の Excel ファイル（.xls）や、パスワード付きのファイルは読み込めません。"
            "Excel で「.xlsx」か「CSV UTF-8」の形式で保存し直してください。"
        ),
        "utf16": gettext_lazy(
            "UTF-16 の CSV（Unicode テキスト）は読み込めません。UTF-8 か Shift_JIS の CSV で保存し直してください。"
        ),
        "binary": gettext_lazy(
            "CSV ファイルでも Excel ファイル（.xlsx）でもありません。回答の入った CSV か .xlsx を選んでください。"
        ),
        "zip_not_xlsx": gettext_lazy(
            "Excel ファイル（.xlsx）ではありません。回答の入った CSV か .xlsx を選んでください。"
        ),
    }

    def __init__(self, *, questionnaire: Questionnaire, mode: str = MODE_APPEND) -> None:
        if mode not in MODES:
            raise ValueError(mode)
        self.questionnaire = questionnaire
        self.mode = mode

    def max_bytes(self) -> int:
        return max_bytes()

    def kind_problem(self, kind: Kind, raw: bytes, filename: str) -> str | None:
        if kind == "text" and filename.lower().endswith((".xlsx", ".xlsm")):
            return _("Excel ファイル（.xlsx）として読み込めません。ファイルが壊れていないか確かめてください。")
        return super().kind_problem(kind, raw, filename)

    def parse(self, source: Source) -> ParsedImport:
        return _parse(source, questionnaire=self.questionnaire, mode=self.mode)

    def apply(self, parsed: ParsedImport, *, by: Any) -> int:
        return _apply(parsed, by=by)


def parse(raw: bytes, *, filename: str, questionnaire: Questionnaire, mode: str = MODE_APPEND) -> ParsedImport:
    """Read and check the whole file; raise ``SurveyImportError`` or return what would be imported."""
    return SurveyResponseImporter(questionnaire=questionnaire, mode=mode).check(raw, filename or "")


def _too_many_rows(limit: int) -> str:
    return _("回答の行が多すぎます（%(max)s 行まで）。ファイルを分けて、追加で取り込んでください。") % {
        "max": f"{limit:,}"
    }


def _parse(source: Source, *, questionnaire: Questionnaire, mode: str) -> ParsedImport:
    limit = max_rows()
    if source.zip.most_rows > 2 * limit + 1000:  # counted by the zip guard: refuse before openpyxl reads them
        _fail(_too_many_rows(limit))
    rows, encoding = _xlsx_rows(source.raw) if source.kind == "zip" else _csv_rows(source)
    spec = surveys.questionnaire_spec(questionnaire, refresh=True)
    if not spec.questions:
        _fail(_("このアンケートには質問がありません。先に質問（列名・選択肢）を登録してください。"))

    headers = _headers(next(rows, None))
    id_column, columns = _match_headers(headers, spec)
    existing, taken, replaced, voices_lost = _existing(questionnaire, mode)
    checker = _RowChecker(headers, id_column, columns, taken=taken, limit=limit)
    for number, cells in rows:
        checker.read(number, cells)
    if not checker.out and not checker.errors.total:
        _fail(_("回答の行がありません。2行目から1行に1人ずつ回答を入れてください。"))
    checker.errors.raise_if_any()
    return ParsedImport(
        questionnaire_id=questionnaire.pk,
        data_version=questionnaire.data_version,
        filename=source.filename or "",
        encoding=encoding,
        mode=mode,
        headers=headers,
        questions=columns,
        rows=checker.out,
        skipped_blank=checker.skipped,
        existing=existing,
        replaced=replaced,
        voices_lost=voices_lost,
        multiple_format=_multiple_format(columns),
    )


def _headers(header_row: tuple[int, Sequence[object]] | None) -> list[str]:
    """The header texts of row 1, without the blank ones at the end."""
    if header_row is None or all(_is_blank_cell(c) for c in header_row[1]):
        _fail(_("1行目に見出しがありません。1行目を「回答者番号」と質問の列名の見出しにしてください。"), row=1)
    headers = [_header_text(c) for c in header_row[1]]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        _fail(
            _("列が多すぎます（%(max)s 列まで）。回答者番号と質問の列だけを残してください。")
            % {"max": f"{MAX_COLUMNS:,}"},
            row=1,
        )
    return headers


def _existing(questionnaire: Questionnaire, mode: str) -> tuple[int, set[str], int, int]:
    """(responses held now, respondent numbers the file may not reuse, responses replace mode
    deletes, voices made from those)."""
    existing_rows = Response.objects.filter(questionnaire=questionnaire)
    existing = existing_rows.count()
    kept = existing_rows if mode == MODE_APPEND else existing_rows.exclude(source=Response.Source.IMPORT)
    taken = set(kept.values_list("respondent", flat=True))
    replaced = existing - len(taken) if mode == MODE_REPLACE else 0
    voices_lost = 0
    if replaced:
        voices_lost = Voice.objects.filter(
            response__questionnaire=questionnaire, response__source=Response.Source.IMPORT
        ).count()
    return existing, taken, replaced, voices_lost


def _multiple_format(columns: list[QuestionColumns]) -> str:
    """How the file gives multiple-choice answers, for the preview."""
    formats = []
    if any(qc.column is not None and qc.spec.kind == Question.Kind.MULTIPLE for qc in columns):
        formats.append(_("1つのセルにコードを区切って入力"))
    if any(qc.dummies for qc in columns):
        formats.append(_("選択肢ごとの 0/1 の列"))
    return "、".join(formats)


class _RowChecker:
    """Checks the data rows one by one against the headers; problems go to ``errors``, the rows
    read to ``out``."""

    def __init__(
        self, headers: list[str], id_column: int, columns: list[QuestionColumns], *, taken: set[str], limit: int
    ) -> None:
        self.headers = headers
        self.id_column = id_column
        self.id_header = headers[id_column]
        self.width = len(headers)
        self.blank_header_columns = [i for i, h in enumerate(headers) if not h]
        self.direct = [qc for qc in columns if qc.column is not None]
        self.dummy = [qc for qc in columns if qc.dummies]
        self.taken = taken
        self.limit = limit
        self.errors = _collector()
        self.out: list[ParsedRow] = []
        self.seen: dict[str, int] = {}  # respondent number → its row
        self.skipped = 0
        self.data_rows = 0

    def read(self, number: int, cells: Sequence[object]) -> None:
        cells = self._fit(number, cells)
        if all(map(_is_blank_cell, cells)):
            self.skipped += 1
            return
        self.data_rows += 1
        if self.data_rows > self.limit:
            _fail(_too_many_rows(self.limit), row=number)
        for i in self.blank_header_columns:
            if not _is_blank_cell(cells[i]):
                self.errors.add(_("見出しのない列に値があります。"), row=number, column=i + 1)
        respondent = self._respondent(number, cells)
        answers: dict[str, Any] = {}
        for qc in self.direct:
            self._direct_answer(number, cells, qc, answers)
        for qc in self.dummy:
            self._dummy_answer(number, cells, qc, answers)
        self.out.append((number, respondent, answers))

    def _fit(self, number: int, cells: Sequence[object]) -> Sequence[object]:
        """The row's cells, padded to the headers' width; a value beyond it is a problem."""
        if len(cells) < self.width:
            return list(cells) + [None] * (self.width - len(cells))
        if len(cells) > self.width:
            extra = next((i for i in range(self.width, len(cells)) if not _is_blank_cell(cells[i])), None)
            if extra is not None:
                self.errors.add(_("見出しのない列に値があります。"), row=number, column=extra + 1)
        return cells

    def _respondent(self, number: int, cells: Sequence[object]) -> str:
        respondent = unicodedata.normalize("NFKC", surveys._cell_text(cells[self.id_column])).strip()
        if not respondent:
            self._respondent_problem(number, _("回答者番号が空です。"))
        elif len(respondent) > surveys.RESPONDENT_MAX_LENGTH:
            self._respondent_problem(
                number, _("回答者番号は %(n)s 文字以内にしてください。") % {"n": surveys.RESPONDENT_MAX_LENGTH}
            )
        elif respondent in self.seen:
            self._respondent_problem(
                number,
                _("回答者番号「%(id)s」が %(first)s行目 と同じです（%(first)s行目と%(row)s行目）。")
                % {"id": respondent, "first": f"{self.seen[respondent]:,}", "row": f"{number:,}"},
            )
        elif respondent in self.taken:
            self._respondent_problem(number, _("回答者番号「%(id)s」の回答はすでにあります。") % {"id": respondent})
        else:
            self.seen[respondent] = number
        return respondent

    def _respondent_problem(self, number: int, message: str) -> None:
        self.errors.add(message, row=number, column=self.id_column + 1, field=self.id_header)

    def _direct_answer(
        self, number: int, cells: Sequence[object], qc: QuestionColumns, answers: dict[str, Any]
    ) -> None:
        """The answer in the question's one column."""
        assert qc.column is not None  # self.direct holds only these
        value = cells[qc.column]
        if value is None or value == "":
            qc.blank += 1
            return
        try:
            result = qc.spec.clean(value)
        except surveys.AnswerError as exc:
            self.errors.add(str(exc), row=number, column=qc.column + 1, field=self.headers[qc.column])
            return
        if result is None:
            qc.blank += 1
        else:
            answers[qc.spec.code] = result

    def _dummy_answer(self, number: int, cells: Sequence[object], qc: QuestionColumns, answers: dict[str, Any]) -> None:
        """The choices marked 1 in the question's 0/1 columns."""
        chosen = []
        for col, code in qc.dummies:
            value = unicodedata.normalize("NFKC", surveys._cell_text(cells[col])).strip()
            if value in ("", "0"):
                continue
            if value == "1":
                chosen.append(code)
            else:
                self.errors.add(
                    _("0 か 1 を入力してください（「%(value)s」）。") % {"value": surveys._short(value)},
                    row=number,
                    column=col + 1,
                    field=self.headers[col],
                )
        if not chosen:
            qc.blank += 1
        elif qc.spec.max_choices and len(chosen) > qc.spec.max_choices:
            first = qc.dummies[0][0]
            self.errors.add(
                _("選べるのは %(max)s つまでです（%(n)s つ選ばれています）。")
                % {"max": qc.spec.max_choices, "n": len(chosen)},
                row=number,
                column=first + 1,
                field=self.headers[first],
            )
        else:
            answers[qc.spec.code] = chosen


# --------------------------------------------------------------------------- applying


def _insert(questionnaire_id, rows):
    """Insert the responses with ``executemany`` in batches: the ORM's ``bulk_create`` spends most of
    its time building SQL (SQLite allows 999 parameters per statement), four times slower here."""
    meta = Response._meta
    answers_field = meta.get_field("answers")
    names = ["questionnaire_id", "respondent", "source", "answers", "submitted_at", "client_hash", "is_sample"]
    columns = ", ".join(connection.ops.quote_name(meta.get_field(n).column) for n in names)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(names))})"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    source = Response.Source.IMPORT
    prep = answers_field.get_db_prep_value
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(
                sql,
                [
                    (questionnaire_id, respondent, source, prep(answers, connection), now, "", False)
                    for _number, respondent, answers in rows[start : start + BATCH]
                ],
            )


def apply(parsed: ParsedImport, *, by: Any) -> int:
    """Write the parsed responses in one transaction (see ``_apply``)."""
    return _apply(parsed, by=by)


@transaction.atomic
def _apply(parsed: ParsedImport, *, by: Any) -> int:
    """Write the parsed responses in one transaction (replace mode first deletes the responses
    imported before; online answers stay). Returns the number imported."""
    q = Questionnaire.objects.select_for_update().select_related("council").get(pk=parsed.questionnaire_id)
    if q.data_version != parsed.data_version:
        _fail(
            _(
                "確認の後に、このアンケートの回答か質問が変わりました。何も取り込んでいません。もう一度ファイルを選んでください。"
            )
        )
    deleted = 0
    if parsed.mode == MODE_REPLACE:
        deleted, _detail = Response.objects.filter(questionnaire=q, source=Response.Source.IMPORT).delete()
    rows = parsed.rows
    _insert(q.pk, rows)
    surveys._bump_data(q.pk)
    if not Response.objects.filter(questionnaire=q).exclude(source=Response.Source.IMPORT).exists() and (
        parsed.mode == MODE_REPLACE or not parsed.existing
    ):
        # The file holds every response now: build the tabulation cache from it (saves reading them back).
        from . import tabulation

        q.refresh_from_db(fields=["data_version"])
        last = Response.objects.filter(questionnaire=q).aggregate(last=Max("pk"))["last"] or 0
        tabulation.save_columns(
            q,
            tabulation.build_columns(
                surveys.questionnaire_spec(q),
                [answers for _n, _r, answers in rows],
                data_version=q.data_version,
                max_pk=last,
            ),
        )
    log_action(
        council=q.council,
        actor=by,
        action="responses.import",
        plan_id=q.plan_id,
        target_label=q.title,
        before={"responses": parsed.existing} if parsed.existing else None,
        after={
            "imported": len(rows),
            "mode": parsed.mode,
            "file": parsed.filename,
            "skipped_blank_rows": parsed.skipped_blank,
            "deleted": deleted,
        },
        obj=q,
    )
    return len(rows)
