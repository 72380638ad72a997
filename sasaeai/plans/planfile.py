"""Plan files (``sasaeai-plan/1``): parse and validate, and write the canonical form.

The format is documented in docs/plan-file-format.md. This module knows nothing of the
database: :func:`parse` turns bytes into plain dataclasses (or raises :class:`PlanFileError`
listing every problem with its line and field), and :func:`dump` turns the same dataclasses
into canonical YAML. ``services.plan_file_import`` and ``selectors.plan_file_data`` connect
them to the models.

YAML is read with PyYAML's libyaml loader, with two changes that matter for files people
edit by hand: every mapping and list remembers the line of each key and item, so each error can
name the line to fix; and no value is guessed from its look (``01`` stays "01", ``no`` stays
"no"): years and ``true``/``false`` are converted where the format expects them, with a clear
message when they can't be. Duplicate keys are refused instead of silently keeping the last.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, NoReturn, TypeAlias, TypeVar

import yaml
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.core.imports import Importer, ImportRefused, Problem, Source
from sasaeai.plans.yamldepth import find_too_deep

if TYPE_CHECKING:  # the libyaml classes have the same interface as the pure-Python ones
    _BaseLoader = yaml.SafeLoader
    _BaseDumper = yaml.SafeDumper
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

FORMAT_ID = "sasaeai-plan/1"
MAX_NODES = 20_000
MAX_LEVELS = 8
MAX_ERRORS = 50

PLAN_KINDS = {
    "activity": gettext_lazy("地域福祉活動計画"),
    "council_development": gettext_lazy("社協発展強化計画・アクションプラン"),
    "district": gettext_lazy("地区別計画"),
}
PLAN_STATUSES = {"drafting": gettext_lazy("策定中"), "active": gettext_lazy("推進中"), "finished": gettext_lazy("終了")}
ACTORS = {"community": gettext_lazy("地域での取り組み"), "council": gettext_lazy("社協の取り組み")}

# Field labels used in error messages.
LABELS = {
    "format": gettext_lazy("形式"),
    "council": gettext_lazy("社協名"),
    "plans": gettext_lazy("計画の一覧"),
    "title": gettext_lazy("名称"),
    "generation": gettext_lazy("期・次"),
    "kind": gettext_lazy("計画の種類"),
    "document": gettext_lazy("冊子名"),
    "part": gettext_lazy("冊子内の区分"),
    "status": gettext_lazy("状態"),
    "period": gettext_lazy("計画期間"),
    "start": gettext_lazy("開始年度"),
    "end": gettext_lazy("終了年度"),
    "phases": gettext_lazy("期（前期・後期）"),
    "name": gettext_lazy("名称"),
    "midterm_review_year": gettext_lazy("中間評価の年度"),
    "vision": gettext_lazy("基本理念"),
    "vision_explanation": gettext_lazy("基本理念の説明"),
    "purpose": gettext_lazy("計画の目的"),
    "municipal_plan": gettext_lazy("地域福祉計画（行政計画）"),
    "predecessor": gettext_lazy("前計画"),
    "carried_over": gettext_lazy("引き継ぐもの"),
    "levels": gettext_lazy("階層名"),
    "issues": gettext_lazy("地域生活課題"),
    "sections": gettext_lazy("その他の記載"),
    "body": gettext_lazy("本文"),
    "nodes": gettext_lazy("項目"),
    "children": gettext_lazy("下位の項目"),
    "code": gettext_lazy("番号"),
    "level": gettext_lazy("階層"),
    "priority": gettext_lazy("重点"),
    "weight": gettext_lazy("重み"),
    "summary": gettext_lazy("要旨"),
    "description": gettext_lazy("説明"),
    "desired_state": gettext_lazy("目指す姿"),
    "plain_summary": gettext_lazy("やさしい日本語の説明"),
    "previous_evaluation": gettext_lazy("前計画の評価"),
    "challenges": gettext_lazy("課題"),
    "targets_text": gettext_lazy("数値目標"),
    "actions": gettext_lazy("取り組み"),
    "actor": gettext_lazy("取り組む主体"),
    "text": gettext_lazy("内容"),
    "examples": gettext_lazy("例"),
    "steps": gettext_lazy("段階"),
}


# --------------------------------------------------------------------------- data


@dataclass
class ActionData:
    actor: str
    text: str = ""
    examples: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)


@dataclass
class NodeData:
    title: str
    level: int  # index into PlanData.levels
    code: str = ""
    priority: bool = False
    weight: Decimal = Decimal(1)
    summary: str = ""
    description: str = ""
    desired_state: str = ""
    plain_summary: str = ""
    previous_evaluation: str = ""
    challenges: str = ""
    targets_text: str = ""
    issues: list[str] = field(default_factory=list)
    actions: list[ActionData] = field(default_factory=list)
    children: list[NodeData] = field(default_factory=list)


@dataclass
class IssueData:
    code: str
    title: str
    description: str = ""


@dataclass
class SectionData:
    title: str
    body: str = ""


@dataclass
class PhaseData:
    name: str
    start: int
    end: int


@dataclass
class PlanData:
    title: str
    kind: str
    levels: list[str]
    generation: str = ""
    document: str = ""
    part: str = ""
    status: str = "active"
    period_start: int | None = None
    period_end: int | None = None
    phases: list[PhaseData] = field(default_factory=list)
    midterm_review_year: int | None = None
    vision: str = ""
    vision_explanation: str = ""
    purpose: str = ""
    municipal_plan_name: str = ""
    municipal_plan_generation: str = ""
    municipal_plan_start: int | None = None
    municipal_plan_end: int | None = None
    predecessor_title: str = ""
    predecessor_carried_over: str = ""
    issues: list[IssueData] = field(default_factory=list)
    sections: list[SectionData] = field(default_factory=list)
    nodes: list[NodeData] = field(default_factory=list)

    def iter_nodes(self) -> Iterator[NodeData]:
        stack = list(reversed(self.nodes))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


@dataclass
class PlanFileData:
    council: str
    plans: list[PlanData]


# --------------------------------------------------------------------------- errors


def problem(line: int | None, path: str, message: str) -> Problem:
    """A problem of a plan file: its line and the field path (``plans[1].title（名称）``)."""
    return Problem(message, row=line, field=path)


class PlanFileError(ImportRefused):
    """Everything wrong with a plan file. Nothing is imported when this is raised."""

    max_shown = MAX_ERRORS + 1  # the reader stops at MAX_ERRORS and says so in one more line

    @property
    def filename(self) -> str:
        return next((p.file for p in self.problems if p.file), "")


class _TooMany(Exception):
    pass


# --------------------------------------------------------------------------- text


def normalize_text(value: str) -> str:
    """Multi-line text as stored: LF line ends, no trailing blanks, no blank first/last lines."""
    lines = [line.rstrip(" \t") for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def normalize_line(value: str) -> str:
    return " ".join(value.replace("\r", "\n").split("\n")).strip()


# --------------------------------------------------------------------------- parsing


_BINARY = gettext_lazy(
    "テキストファイルではありません（画像や Excel などのバイナリファイルのようです）。"
    "計画ファイル（.yaml）を選んでください。"
)


ParsedT = TypeVar("ParsedT")


class PlanFileText(Importer[ParsedT]):
    """The first steps of the import pipeline for plan files: a UTF-8 text (YAML) of at most
    ``max_bytes``; problems name the file."""

    kind = "plan_file"
    accepts = frozenset({"text"})
    shift_jis = False
    utf8_only_advice = gettext_lazy(
        "計画ファイルは UTF-8 で保存してください（メモ帳なら「名前を付けて保存」で文字コード「UTF-8」を選びます）。"
    )
    problem_error = PlanFileError
    refusals = {
        "too_large": gettext_lazy(
            "ファイルが大きすぎます（%(size)s バイト）。計画ファイルは %(limit)s バイトまでです。"
        ),
        "zip": _BINARY,
        "ole": _BINARY,
        "utf16": _BINARY,
        "binary": _BINARY,
    }

    def __init__(self, *, max_bytes: int | None = None) -> None:
        self._max_bytes = max_bytes

    def max_bytes(self) -> int:
        return self._max_bytes if self._max_bytes is not None else int(settings.SASAEAI_PLAN_FILE_MAX_BYTES)

    def check(self, raw: bytes, filename: str) -> ParsedT:
        try:
            return super().check(raw, filename)
        except PlanFileError as exc:
            exc.set_filename(filename)
            raise


class PlanFileReader(PlanFileText[PlanFileData]):
    """Bytes → ``PlanFileData`` (no database; ``services.PlanFileImporter`` imports it)."""

    def parse(self, source: Source) -> PlanFileData:
        return parse_text(source.text)


def parse(raw: bytes, *, filename: str = "", max_bytes: int = 2 * 1024 * 1024) -> PlanFileData:
    """Bytes → the plan file's data, or a PlanFileError listing every problem."""
    return PlanFileReader(max_bytes=max_bytes).check(raw, filename)


class _Mapping(dict[str | None, "YamlValue"]):
    """A YAML mapping that knows the line of itself and of each key."""

    line: int | None = None
    key_lines: dict[str | None, int]


class _Sequence(list["YamlValue"]):
    """A YAML list that knows the line of itself and of each item."""

    line: int | None = None
    item_lines: list[int]


# Every value a plan file's YAML can hold: the loader below resolves only null by itself, reads
# explicit scalar tags (!!int, !!bool …) as the text they carry and refuses every other tag, and a
# key that is a mapping or a list is refused as unhashable; so keys are text or null.
YamlValue: TypeAlias = "_Mapping | _Sequence | str | None"


class _DuplicateKey(yaml.MarkedYAMLError):
    pass


class _Loader(_BaseLoader):
    pass


# Only null is recognised implicitly; everything else is text until the reader converts it.
_Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _line_of_mark(mark: yaml.Mark | None) -> int | None:
    return mark.line + 1 if mark is not None else None


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Mapping:
    mapping = _Mapping()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in mapping
        except TypeError:
            raise yaml.constructor.ConstructorError(None, None, "unhashable key", key_node.start_mark) from None
        if duplicate:
            raise _DuplicateKey(None, None, "duplicate key", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> _Sequence:
    sequence = _Sequence(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line = node.start_mark.line + 1
    sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
    return sequence


def _construct_text(loader: _Loader, node: yaml.Node) -> str:
    """Explicit scalar tags (!!int, !!bool, !!timestamp …) are read as the text they carry."""
    if not isinstance(node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(None, None, "unsupported tag", node.start_mark)
    return loader.construct_scalar(node)


def _refuse(loader: _Loader, node: yaml.Node) -> NoReturn:
    raise yaml.constructor.ConstructorError(None, None, "unsupported tag", node.start_mark)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
for _tag in ("int", "float", "bool", "timestamp", "binary"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _construct_text)
for _tag in ("set", "omap", "pairs"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse)
_Loader.add_constructor(None, _refuse)

MAX_NESTING = 64


def _check_nesting(text: str) -> None:
    """Refuse deep nesting before any YAML parser reads the text (see yamldepth)."""
    too_deep = find_too_deep(text, MAX_NESTING)
    if too_deep is not None:
        raise PlanFileError(
            [
                problem(
                    too_deep.line,
                    "",
                    _("入れ子が深すぎます（%(max)s 段まで）。字下げや括弧を確認してください。") % {"max": MAX_NESTING},
                )
            ]
        )


def parse_text(text: str) -> PlanFileData:
    try:
        _check_nesting(text)
        # A safe loader subclass: it builds only the values YamlValue names.
        document: YamlValue = yaml.load(text, Loader=_Loader)
    except _DuplicateKey as exc:
        raise PlanFileError(
            [problem(_line_of_mark(exc.problem_mark), "", _("同じ項目名が二度書かれています。"))]
        ) from None
    except yaml.MarkedYAMLError as exc:
        line = _line_of_mark(exc.problem_mark or exc.context_mark)
        if "recursive" in str(exc):
            detail = _("別名（* と &）が自分自身を含んでいます。")
        elif "unsupported tag" in str(exc):
            detail = _("「!!」や「!」で始まる型の指定は使えません。値はそのまま書いてください。")
        else:
            detail = _("YAML として読み取れません（字下げ・コロン・引用符を確認してください）。")
        raise PlanFileError([problem(line, "", detail)]) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise PlanFileError([problem(None, "", _("YAML として読み取れません。"))]) from None
    return _Reader().read(document)


def _shown(value: object, limit: int = 30) -> str:
    text = str(value) if not isinstance(value, int) or abs(value) < 10**30 else _("（大きすぎる数）")
    return text if len(text) <= limit else text[:limit] + "…"


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.node_count = 0

    # -- helpers -------------------------------------------------------------

    def error(self, line: int | None, path: str, message: str) -> None:
        self.problems.append(problem(line, path, message))
        if len(self.problems) >= MAX_ERRORS:
            raise _TooMany

    @staticmethod
    def line_of(container: object, key: str | int | None = None) -> int | None:
        """The line of a key (mapping) or an item (list), or of the container itself."""
        if key is not None and isinstance(container, _Mapping):
            return container.key_lines.get(key) if isinstance(key, str) else None
        if key is not None and isinstance(container, _Sequence):
            if isinstance(key, int) and 0 <= key < len(container.item_lines):
                return container.item_lines[key]
            return None
        if isinstance(container, (_Mapping, _Sequence)):
            return container.line
        return None

    @staticmethod
    def label(path: str) -> str:
        key = path.rsplit(".", 1)[-1].split("[", 1)[0]
        return _("%(key)s（%(label)s）") % {"key": path, "label": str(LABELS[key])} if key in LABELS else path

    def mapping(self, value: YamlValue, path: str, allowed: list[str], line: int | None) -> _Mapping | None:
        if not isinstance(value, dict):
            self.error(line, self.label(path), _("「キー: 値」の形で書いてください。"))
            return None
        for key in value:
            if key not in allowed:
                hint = "、".join(allowed)
                self.error(
                    self.line_of(value, key),
                    f"{path}.{key}" if path else str(key),
                    _("知らない項目名です。使える項目名: %(allowed)s") % {"allowed": hint},
                )
        return value

    def sequence(self, container: _Mapping, key: str, path: str) -> list[YamlValue]:
        value = container.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(self.line_of(container, key), self.label(path), _("「- 」で始まる一覧で書いてください。"))
            return []
        return value

    def string(
        self,
        container: _Mapping,
        key: str,
        path: str,
        *,
        required: bool = False,
        multiline: bool = False,
        max_length: int | None = None,
    ) -> str:
        value = container.get(key)
        line = self.line_of(container, key)
        if value is None or value == "":
            if required:
                self.error(line or self.line_of(container), self.label(path), _("必須です。入力してください。"))
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(line, self.label(path), _("文字で書いてください。"))
            return ""
        text = str(value)
        if "\x00" in text:
            self.error(line, self.label(path), _("使えない制御文字（NUL）が含まれています。"))
            return ""
        text = normalize_text(text) if multiline else normalize_line(text)
        if required and not text:
            self.error(line, self.label(path), _("必須です。入力してください。"))
        if max_length and len(text) > max_length:
            self.error(
                line,
                self.label(path),
                _("長すぎます（%(length)s 文字）。%(max)s 文字までです。") % {"length": len(text), "max": max_length},
            )
        return text

    def year(self, container: _Mapping, key: str, path: str, *, required: bool = False) -> int | None:
        value = container.get(key)
        line = self.line_of(container, key)
        if value is None:
            if required:
                self.error(
                    line or self.line_of(container),
                    self.label(path),
                    _("必須です。年度を西暦で書いてください（例: 2026）。"),
                )
            return None
        number: object = value
        if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii() and len(value.strip()) <= 6:
            number = int(value)
        if isinstance(number, bool) or not isinstance(number, int):
            self.error(
                line,
                self.label(path),
                _("年度は西暦の数字で書いてください（例: 2026）。「%(value)s」は読めません。")
                % {"value": _shown(number)},
            )
            return None
        if not 1869 <= number <= 2200:
            self.error(line, self.label(path), _("年度 %(year)s は範囲外です（1869〜2200）。") % {"year": number})
            return None
        return number

    def required_year(self, container: _Mapping, key: str, path: str) -> int:
        """A required year; 0 only when it is missing or wrong, which is an error already recorded
        (so the data read is never used)."""
        return self.year(container, key, path, required=True) or 0

    def choice(self, container: _Mapping, key: str, path: str, choices: Mapping[str, object], default: str) -> str:
        """One of ``choices``; ``default`` when the key is absent or (with an error) not one of them."""
        value = container.get(key)
        if value is None:
            return default
        if not isinstance(value, str) or value not in choices:
            allowed = "、".join(_("%(key)s（%(label)s）") % {"key": k, "label": str(v)} for k, v in choices.items())
            self.error(
                self.line_of(container, key),
                self.label(path),
                _("「%(value)s」は使えません。使える値: %(allowed)s") % {"value": _shown(value), "allowed": allowed},
            )
            return default
        return value

    def string_list(self, container: _Mapping, key: str, path: str) -> list[str]:
        result = []
        for i, item in enumerate(self.sequence(container, key, path)):
            if isinstance(item, bool) or not isinstance(item, (str, int, float)) or str(item).strip() == "":
                self.error(self.line_of(container[key], i), self.label(f"{path}[{i + 1}]"), _("文字で書いてください。"))
                continue
            result.append(normalize_line(str(item)))
        return result

    def period(
        self, container: _Mapping, key: str, path: str, *, required: bool = False
    ) -> tuple[int | None, int | None]:
        value = self.mapping_at(container, key, path, ["start", "end"], required=required)
        if value is None:
            return None, None
        start = self.year(value, "start", f"{path}.start", required=True)
        end = self.year(value, "end", f"{path}.end", required=True)
        self.check_order(value, start, end, f"{path}.end")
        return start, end

    def mapping_at(
        self, container: _Mapping, key: str, path: str, allowed: list[str], *, required: bool = False
    ) -> _Mapping | None:
        """The mapping under ``key``; None (with an error if it was required or is not a mapping)."""
        value = container.get(key)
        if value is None:
            if required:
                self.error(self.line_of(container), self.label(path), _("必須です。"))
            return None
        return self.mapping(value, path, allowed, self.line_of(container, key))

    def check_order(self, container: _Mapping, start: int | None, end: int | None, path: str) -> None:
        if start and end and end < start:
            self.error(self.line_of(container, "end"), self.label(path), _("終了年度が開始年度より前です。"))

    # -- document ------------------------------------------------------------

    def read(self, document: YamlValue) -> PlanFileData:
        try:
            result = self._read(document)
        except _TooMany:
            self.problems.append(
                problem(None, "", _("誤りが多いため、最初の %(max)s 件で確認を止めました。") % {"max": MAX_ERRORS})
            )
            result = None
        # _read returns None only after recording a problem.
        if self.problems or result is None:
            raise PlanFileError(self.problems)
        return result

    def _read(self, document: YamlValue) -> PlanFileData | None:
        if not isinstance(document, dict):
            self.error(
                1,
                "",
                _("計画ファイルではありません。1行目を「format: %(format)s」で始めてください。")
                % {"format": FORMAT_ID},
            )
            return None
        self.mapping(document, "", ["format", "council", "plans"], 1)
        if document.get("format") != FORMAT_ID:
            self.error(
                self.line_of(document, "format") or 1,
                self.label("format"),
                _("「format: %(format)s」と書いてください（この版の ささえあい が読める形式です）。")
                % {"format": FORMAT_ID},
            )
            return None
        council = self.string(document, "council", "council", required=True, max_length=200)
        plans_raw = self.sequence(document, "plans", "plans")
        if not plans_raw:
            self.error(
                self.line_of(document, "plans") or self.line_of(document),
                self.label("plans"),
                _("計画が一つもありません。"),
            )
        plans = []
        for i, item in enumerate(plans_raw):
            plan = self.plan(item, f"plans[{i + 1}]", self.line_of(plans_raw, i))
            if plan is not None:
                plans.append(plan)
        return PlanFileData(council=council, plans=plans)

    PLAN_KEYS = [
        "title",
        "generation",
        "kind",
        "document",
        "part",
        "status",
        "period",
        "phases",
        "midterm_review_year",
        "vision",
        "vision_explanation",
        "purpose",
        "municipal_plan",
        "predecessor",
        "levels",
        "issues",
        "sections",
        "nodes",
    ]

    def plan(self, value: YamlValue, path: str, line: int | None) -> PlanData | None:
        raw = self.mapping(value, path, self.PLAN_KEYS, line)
        if raw is None:
            return None
        plan = PlanData(
            title=self.string(raw, "title", f"{path}.title", required=True, max_length=200),
            # "" only with an error recorded (missing or unknown kind).
            kind=self.choice(raw, "kind", f"{path}.kind", PLAN_KINDS, ""),
            levels=[],
            generation=self.string(raw, "generation", f"{path}.generation", max_length=50),
            document=self.string(raw, "document", f"{path}.document", max_length=200),
            part=self.string(raw, "part", f"{path}.part", max_length=50),
            status=self.choice(raw, "status", f"{path}.status", PLAN_STATUSES, "active"),
            vision=self.string(raw, "vision", f"{path}.vision", multiline=True),
            vision_explanation=self.string(raw, "vision_explanation", f"{path}.vision_explanation", multiline=True),
            purpose=self.string(raw, "purpose", f"{path}.purpose", multiline=True),
        )
        if raw.get("kind") is None:
            self.error(
                self.line_of(raw),
                self.label(f"{path}.kind"),
                _("必須です。activity（地域福祉活動計画）、council_development、district のどれかを書いてください。"),
            )
        self._plan_period(raw, path, plan)
        self._plan_phases(raw, path, plan)
        self._plan_municipal(raw, path, plan)
        self._plan_predecessor(raw, path, plan)
        self._plan_levels(raw, path, plan)
        issue_codes = self._plan_issues(raw, path, plan)
        self._plan_sections(raw, path, plan)
        plan.nodes = self.nodes(raw, "nodes", f"{path}.nodes", plan, parent_level=-1, issue_codes=issue_codes)
        return plan

    def _plan_period(self, raw: _Mapping, path: str, plan: PlanData) -> None:
        plan.period_start, plan.period_end = self.period(raw, "period", f"{path}.period")
        plan.midterm_review_year = self.year(raw, "midterm_review_year", f"{path}.midterm_review_year")
        if (
            plan.midterm_review_year
            and plan.period_start
            and plan.period_end
            and not (plan.period_start <= plan.midterm_review_year <= plan.period_end)
        ):
            self.error(
                self.line_of(raw, "midterm_review_year"),
                self.label(f"{path}.midterm_review_year"),
                _("中間評価の年度が計画期間の外です。"),
            )

    def _plan_phases(self, raw: _Mapping, path: str, plan: PlanData) -> None:
        for i, value in enumerate(self.sequence(raw, "phases", f"{path}.phases")):
            p = f"{path}.phases[{i + 1}]"
            item = self.mapping(value, p, ["name", "start", "end"], self.line_of(raw["phases"], i))
            if item is None:
                continue
            phase = PhaseData(
                name=self.string(item, "name", f"{p}.name", required=True, max_length=50),
                start=self.required_year(item, "start", f"{p}.start"),
                end=self.required_year(item, "end", f"{p}.end"),
            )
            self.check_order(item, phase.start, phase.end, f"{p}.end")
            plan.phases.append(phase)

    def _plan_municipal(self, raw: _Mapping, path: str, plan: PlanData) -> None:
        p = f"{path}.municipal_plan"
        municipal = self.mapping_at(raw, "municipal_plan", p, ["name", "generation", "start", "end"])
        if municipal is None:
            return
        plan.municipal_plan_name = self.string(municipal, "name", f"{p}.name", required=True, max_length=200)
        plan.municipal_plan_generation = self.string(municipal, "generation", f"{p}.generation", max_length=50)
        plan.municipal_plan_start = self.year(municipal, "start", f"{p}.start")
        plan.municipal_plan_end = self.year(municipal, "end", f"{p}.end")
        self.check_order(municipal, plan.municipal_plan_start, plan.municipal_plan_end, f"{p}.end")

    def _plan_predecessor(self, raw: _Mapping, path: str, plan: PlanData) -> None:
        p = f"{path}.predecessor"
        predecessor = self.mapping_at(raw, "predecessor", p, ["title", "carried_over"])
        if predecessor is None:
            return
        plan.predecessor_title = self.string(predecessor, "title", f"{p}.title", required=True, max_length=200)
        plan.predecessor_carried_over = self.string(predecessor, "carried_over", f"{p}.carried_over", multiline=True)

    def _plan_levels(self, raw: _Mapping, path: str, plan: PlanData) -> None:
        plan.levels = self.string_list(raw, "levels", f"{path}.levels")
        line = self.line_of(raw, "levels")
        label = self.label(f"{path}.levels")
        if "levels" not in raw or not plan.levels:
            self.error(
                line or self.line_of(raw), label, _("階層名を一つ以上書いてください（例: [基本目標, 推進目標]）。")
            )
        if len(plan.levels) > MAX_LEVELS:
            self.error(line, label, _("階層は %(n)s 段までです。") % {"n": MAX_LEVELS})
        seen = set()
        for name in plan.levels:
            if name in seen:
                self.error(line, label, _("階層名「%(name)s」が重複しています。") % {"name": name})
            seen.add(name)
            if len(name) > 50:
                self.error(line, label, _("階層名「%(name)s」が長すぎます（50 文字まで）。") % {"name": name})

    def _plan_issues(self, raw: _Mapping, path: str, plan: PlanData) -> set[str]:
        """Read the plan's issues; return their codes."""
        issue_lines: dict[str, int | None] = {}
        for i, value in enumerate(self.sequence(raw, "issues", f"{path}.issues")):
            p = f"{path}.issues[{i + 1}]"
            item = self.mapping(value, p, ["code", "title", "description"], self.line_of(raw["issues"], i))
            if item is None:
                continue
            issue = IssueData(
                code=self.string(item, "code", f"{p}.code", required=True, max_length=20),
                title=self.string(item, "title", f"{p}.title", required=True, max_length=200),
                description=self.string(item, "description", f"{p}.description", multiline=True),
            )
            if issue.code in issue_lines:
                self.error(
                    self.line_of(item, "code"),
                    self.label(f"{p}.code"),
                    _("地域生活課題の番号「%(code)s」が %(line)s行目と重複しています。")
                    % {"code": issue.code, "line": issue_lines[issue.code]},
                )
            issue_lines.setdefault(issue.code, self.line_of(item, "code"))
            plan.issues.append(issue)
        return set(issue_lines)

    def _plan_sections(self, raw: _Mapping, path: str, plan: PlanData) -> None:
        for i, value in enumerate(self.sequence(raw, "sections", f"{path}.sections")):
            p = f"{path}.sections[{i + 1}]"
            item = self.mapping(value, p, ["title", "body"], self.line_of(raw["sections"], i))
            if item is None:
                continue
            plan.sections.append(
                SectionData(
                    title=self.string(item, "title", f"{p}.title", required=True, max_length=200),
                    body=self.string(item, "body", f"{p}.body", multiline=True),
                )
            )

    NODE_KEYS = [
        "code",
        "title",
        "level",
        "priority",
        "weight",
        "summary",
        "description",
        "desired_state",
        "plain_summary",
        "previous_evaluation",
        "challenges",
        "targets_text",
        "issues",
        "actions",
        "children",
    ]

    def nodes(
        self,
        container: _Mapping,
        key: str,
        path: str,
        plan: PlanData,
        *,
        parent_level: int,
        issue_codes: set[str],
    ) -> list[NodeData]:
        result = []
        codes: dict[str, int | None] = {}  # code → line, among these siblings
        items = self.sequence(container, key, path)
        for i, value in enumerate(items):
            self.node_count += 1
            if self.node_count > MAX_NODES:
                self.error(
                    self.line_of(items, i),
                    path,
                    _("項目が多すぎます。一つのファイルに %(max)s 項目までです。") % {"max": f"{MAX_NODES:,}"},
                )
                raise _TooMany
            p = f"{path}[{i + 1}]"
            line = self.line_of(items, i)
            raw = self.mapping(value, p, self.NODE_KEYS, line)
            if raw is None:
                continue
            node = NodeData(
                title=self.string(raw, "title", f"{p}.title", required=True, max_length=300),
                level=parent_level + 1,
                code=self.string(raw, "code", f"{p}.code", max_length=50),
                summary=self.string(raw, "summary", f"{p}.summary", multiline=True),
                description=self.string(raw, "description", f"{p}.description", multiline=True),
                desired_state=self.string(raw, "desired_state", f"{p}.desired_state", multiline=True),
                plain_summary=self.string(raw, "plain_summary", f"{p}.plain_summary", multiline=True),
                previous_evaluation=self.string(raw, "previous_evaluation", f"{p}.previous_evaluation", multiline=True),
                challenges=self.string(raw, "challenges", f"{p}.challenges", multiline=True),
                targets_text=self.string(raw, "targets_text", f"{p}.targets_text", multiline=True),
            )
            self._node_priority(raw, p, node)
            self._node_weight(raw, p, node)
            self._node_level(raw, p, node, plan, parent_level)
            if plan.levels and node.level >= len(plan.levels):
                where = _("%(key)s（%(label)s）") % {"key": p, "label": node.code or node.title or _("名称なし")}
                self.error(
                    line,
                    where,
                    _(
                        "階層が深すぎます。この計画の階層は %(count)s 段"
                        "（%(levels)s）ですが、この項目は %(depth)s 段目です。"
                    )
                    % {"count": len(plan.levels), "levels": "、".join(plan.levels), "depth": node.level + 1},
                )
            self._node_code(raw, p, node, codes)
            self._node_issues(raw, p, node, issue_codes)
            self._node_actions(raw, p, node)
            node.children = self.nodes(
                raw, "children", f"{p}.children", plan, parent_level=node.level, issue_codes=issue_codes
            )
            result.append(node)
        return result

    def _node_priority(self, raw: _Mapping, p: str, node: NodeData) -> None:
        priority: YamlValue | bool = raw.get("priority", False)
        if isinstance(priority, str):
            priority = {"true": True, "false": False}.get(priority.strip().lower(), priority)
        if not isinstance(priority, bool):
            self.error(
                self.line_of(raw, "priority"),
                self.label(f"{p}.priority"),
                _("重点は true（重点）か false で書いてください。"),
            )
        else:
            node.priority = priority

    def _node_weight(self, raw: _Mapping, p: str, node: NodeData) -> None:
        if raw.get("weight") is None:
            return
        weight: Decimal | None
        try:
            weight = Decimal(str(raw["weight"]).strip())
        except (InvalidOperation, ValueError):
            weight = None
        if weight is None or not weight.is_finite() or weight < 0 or weight >= 10000 or weight != round(weight, 2):
            self.error(
                self.line_of(raw, "weight"),
                self.label(f"{p}.weight"),
                _("重みは 0 以上の数（小数は2桁まで、例: 1、0.5、2）で書いてください。"),
            )
        else:
            node.weight = weight

    def _node_level(self, raw: _Mapping, p: str, node: NodeData, plan: PlanData, parent_level: int) -> None:
        if "level" not in raw:
            return
        name = self.string(raw, "level", f"{p}.level")
        if name and name not in plan.levels:
            self.error(
                self.line_of(raw, "level"),
                self.label(f"{p}.level"),
                _("階層「%(name)s」は levels にありません（%(levels)s）。")
                % {"name": name, "levels": "、".join(plan.levels) or _("なし")},
            )
        elif name:
            node.level = plan.levels.index(name)
            if node.level <= parent_level:
                self.error(
                    self.line_of(raw, "level"),
                    self.label(f"{p}.level"),
                    _("階層「%(name)s」は上位の項目と同じか上の階層です。") % {"name": name},
                )

    def _node_code(self, raw: _Mapping, p: str, node: NodeData, codes: dict[str, int | None]) -> None:
        if not node.code:
            return
        if node.code in codes:
            self.error(
                self.line_of(raw, "code"),
                self.label(f"{p}.code"),
                _("番号「%(code)s」が同じ階層の %(line)s行目と重複しています。")
                % {"code": node.code, "line": codes[node.code]},
            )
        codes.setdefault(node.code, self.line_of(raw, "code"))

    def _node_issues(self, raw: _Mapping, p: str, node: NodeData, issue_codes: set[str]) -> None:
        for j, code in enumerate(self.string_list(raw, "issues", f"{p}.issues")):
            if code not in issue_codes:
                self.error(
                    self.line_of(raw["issues"], j),
                    self.label(f"{p}.issues"),
                    _("地域生活課題「%(code)s」はこの計画の issues にありません。") % {"code": code},
                )
            elif code not in node.issues:
                node.issues.append(code)

    def _node_actions(self, raw: _Mapping, p: str, node: NodeData) -> None:
        for j, value in enumerate(self.sequence(raw, "actions", f"{p}.actions")):
            ap = f"{p}.actions[{j + 1}]"
            item = self.mapping(value, ap, ["actor", "text", "examples", "steps"], self.line_of(raw["actions"], j))
            if item is None:
                continue
            action = ActionData(
                # "" only with an error recorded (missing or unknown actor).
                actor=self.choice(item, "actor", f"{ap}.actor", ACTORS, ""),
                text=self.string(item, "text", f"{ap}.text", multiline=True),
                examples=self.string_list(item, "examples", f"{ap}.examples"),
                steps=self.string_list(item, "steps", f"{ap}.steps"),
            )
            if item.get("actor") is None:
                self.error(
                    self.line_of(item),
                    self.label(f"{ap}.actor"),
                    _("必須です。community か council を書いてください。"),
                )
            if not (action.text or action.examples or action.steps):
                self.error(
                    self.line_of(item), ap, _("取り組みの内容（text・examples・steps のどれか）を書いてください。")
                )
            node.actions.append(action)


# --------------------------------------------------------------------------- writing

# A mapping of the written document: text keys, values that yaml.dump writes (text, numbers,
# lists and mappings of them).
_Out: TypeAlias = dict[str, object]


def _put(target: _Out, key: str, value: object) -> None:
    if value in (None, "", [], False):
        return
    target[key] = value


def _node_map(node: NodeData, levels: list[str], parent_level: int) -> _Out:
    out: _Out = {}
    _put(out, "code", node.code)
    out["title"] = node.title
    if node.level != parent_level + 1:
        out["level"] = levels[node.level]
    _put(out, "priority", node.priority)
    if node.weight != 1:
        weight = Decimal(node.weight).normalize()
        out["weight"] = int(weight) if weight == weight.to_integral_value() else float(weight)
    for key in (
        "summary",
        "description",
        "desired_state",
        "plain_summary",
        "previous_evaluation",
        "challenges",
        "targets_text",
    ):
        _put(out, key, getattr(node, key))
    _put(out, "issues", list(node.issues))
    actions = []
    for action in node.actions:
        a: _Out = {"actor": action.actor}
        _put(a, "text", action.text)
        _put(a, "examples", list(action.examples))
        _put(a, "steps", list(action.steps))
        actions.append(a)
    _put(out, "actions", actions)
    _put(out, "children", [_node_map(child, levels, node.level) for child in node.children])
    return out


def _plan_map(plan: PlanData) -> _Out:
    out: _Out = {"title": plan.title}
    _put(out, "generation", plan.generation)
    out["kind"] = plan.kind
    _put(out, "document", plan.document)
    _put(out, "part", plan.part)
    if plan.status != "active":
        out["status"] = plan.status
    if plan.period_start is not None:
        out["period"] = {"start": plan.period_start, "end": plan.period_end}
    _put(out, "phases", [{"name": p.name, "start": p.start, "end": p.end} for p in plan.phases])
    _put(out, "midterm_review_year", plan.midterm_review_year)
    for key in ("vision", "vision_explanation", "purpose"):
        _put(out, key, getattr(plan, key))
    if plan.municipal_plan_name:
        m: _Out = {"name": plan.municipal_plan_name}
        _put(m, "generation", plan.municipal_plan_generation)
        _put(m, "start", plan.municipal_plan_start)
        _put(m, "end", plan.municipal_plan_end)
        out["municipal_plan"] = m
    if plan.predecessor_title:
        p: _Out = {"title": plan.predecessor_title}
        _put(p, "carried_over", plan.predecessor_carried_over)
        out["predecessor"] = p
    out["levels"] = list(plan.levels)
    issues = []
    for issue in plan.issues:
        i: _Out = {"code": issue.code, "title": issue.title}
        _put(i, "description", issue.description)
        issues.append(i)
    _put(out, "issues", issues)
    sections = []
    for section in plan.sections:
        s: _Out = {"title": section.title}
        _put(s, "body", section.body)
        sections.append(s)
    _put(out, "sections", sections)
    _put(out, "nodes", [_node_map(n, plan.levels, -1) for n in plan.nodes])
    return out


class _Dumper(_BaseDumper):
    pass


_LOOKS_TYPED = re.compile(r"[-+.]?[0-9][0-9_.:eE+-]*|true|false|yes|no|on|off|y|n|null|~", re.IGNORECASE)


def _represent_str(dumper: _Dumper, value: str) -> yaml.ScalarNode:
    # Multi-line text is written as a literal block, as people would write it; text that
    # another YAML reader could take for a number or a yes/no is quoted ('08', 'no').
    if "\n" in value:
        style: str | None = "|"
    elif _LOOKS_TYPED.fullmatch(value):
        style = "'"
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump(data: PlanFileData) -> str:
    """The canonical text of a plan file."""
    document = {"format": FORMAT_ID, "council": data.council, "plans": [_plan_map(p) for p in data.plans]}
    return yaml.dump(
        document,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    )
