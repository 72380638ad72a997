"""The import pipeline every importer shares (plan files, progress workbooks, survey responses).

sniff (the first bytes say what the file is; a wrong kind is refused) → size and decompression
guard (a zip's declared and actual inflated sizes, before any parser) → decode (text files) →
``parse`` (the importer's: read and validate everything, collecting every problem) → preview →
``apply`` (the importer's, in one transaction). Every refusal is an ``ImportRefused`` listing
``Problem``s in Japanese; nothing is saved until ``apply``, and ``apply`` saves all or nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .guard import ZipRefused, ZipSummary, check_zip, inflate_limit
from .problems import ImportRefused, Problem
from .sniff import Kind, sniff
from .text import decode

ParsedT = TypeVar("ParsedT")

Refusal = Literal[
    "too_large", "empty", "zip", "ole", "utf16", "binary", "text", "zip_corrupt", "zip_not_xlsx", "zip_too_large"
]

DEFAULT_REFUSALS: Mapping[Refusal, str | Promise] = {
    "too_large": gettext_lazy("ファイルが大きすぎます（%(max)sまで）。"),
    "empty": gettext_lazy("ファイルが空です。"),
    "zip": gettext_lazy("このファイル（Excel や zip）は読み込めません。"),
    "ole": gettext_lazy(
        "古い形式の Excel ファイル（.xls）や、パスワード付きのファイルは読み込めません。"
        "Excel で「.xlsx」の形式で保存し直してください。"
    ),
    "utf16": gettext_lazy("UTF-16 のテキスト（Unicode テキスト）は読み込めません。UTF-8 で保存し直してください。"),
    "binary": gettext_lazy("画像や PDF などのファイルは読み込めません。正しいファイルを選んでください。"),
    "text": gettext_lazy("テキストファイルは読み込めません。Excel ファイル（.xlsx）を選んでください。"),
    "zip_corrupt": gettext_lazy(
        "Excel ファイル（.xlsx）が壊れているため読み込めません。"
        "Excel で開けるか確かめてから、もう一度保存してください。"
    ),
    "zip_not_xlsx": gettext_lazy("Excel ファイル（.xlsx）ではありません。"),
    "zip_too_large": gettext_lazy("Excel ファイルの中身が大きすぎるため読み込めません。ファイルを分けてください。"),
}


def size_label(limit: int) -> str:
    """50 MB, or bytes below a megabyte."""
    if limit >= 1024 * 1024:
        return _("%(n)s MB") % {"n": f"{limit / (1024 * 1024):,.0f}"}
    return _("%(n)s バイト") % {"n": f"{limit:,}"}


def max_inflated_bytes() -> int:
    return int(getattr(settings, "SASAEAI_IMPORT_MAX_INFLATED_BYTES", 200 * 1024 * 1024))


def max_inflate_ratio() -> int:
    return int(getattr(settings, "SASAEAI_IMPORT_MAX_INFLATE_RATIO", 100))


INFLATE_FLOOR = 10 * 1024 * 1024  # any small file may inflate this far, whatever its ratio


@dataclass
class Source:
    """An uploaded file that passed the sniff and the guards: its bytes, and for text its text."""

    raw: bytes
    filename: str
    kind: Kind
    text: str = ""
    encoding: str = ""
    zip: ZipSummary = field(default_factory=ZipSummary)


class Importer(ABC, Generic[ParsedT]):
    """One kind of import. Subclasses set ``kind``, ``accepts`` and their wording, and supply
    ``parse`` and ``apply``; ``check`` runs the whole pipeline up to the preview."""

    kind: ClassVar[str]
    accepts: ClassVar[frozenset[Kind]]
    refusals: ClassVar[Mapping[Refusal, str | Promise]] = {}
    shift_jis: ClassVar[bool] = True  # text: Shift_JIS accepted besides UTF-8
    utf8_only_advice: ClassVar[str | Promise] = ""
    max_zip_entries: ClassVar[int] = 500
    problem_error: ClassVar[type[ImportRefused]] = ImportRefused

    # -- limits (settings are read when a file comes, so tests and deployments can change them)

    @abstractmethod
    def max_bytes(self) -> int: ...

    def max_inflated(self, size: int) -> int:
        return inflate_limit(size, max_inflated=max_inflated_bytes(), ratio=max_inflate_ratio(), floor=INFLATE_FLOOR)

    # -- wording

    def refusal(self, reason: Refusal, **values: Any) -> str:
        text = self.refusals.get(reason) or DEFAULT_REFUSALS[reason]
        return str(text) % values if values else str(text)

    def refuse(self, message: str, **where: Any) -> ImportRefused:
        return self.problem_error([Problem(str(message), **where)])

    def kind_problem(self, kind: Kind, raw: bytes, filename: str) -> str | None:
        """Why a file of this kind cannot be read here (None: it can)."""
        return None if kind in self.accepts else self.refusal(kind)

    # -- the pipeline

    def read(self, raw: bytes, filename: str) -> Source:
        """sniff → size → decompression guard → decode; ``ImportRefused`` for the first that fails."""
        limit = self.max_bytes()
        if len(raw) > limit:
            raise self.refuse(
                self.refusal(
                    "too_large",
                    max=size_label(limit),
                    size=f"{len(raw):,}",
                    limit=f"{limit:,}",
                    mb=limit // (1024 * 1024),
                )
            )
        kind = sniff(raw)
        message = self.kind_problem(kind, raw, filename)
        if message:
            raise self.refuse(message)
        source = Source(raw=raw, filename=filename, kind=kind)
        if kind == "zip":
            try:
                source.zip = check_zip(raw, max_entries=self.max_zip_entries, max_inflated=self.max_inflated(len(raw)))
            except ZipRefused as exc:
                raise self.refuse(self.refusal(exc.reason)) from None
        elif kind == "text":
            try:
                source.text, source.encoding = decode(
                    raw, shift_jis=self.shift_jis, utf8_only_advice=str(self.utf8_only_advice)
                )
            except ImportRefused as exc:
                raise self.problem_error(exc.problems, exc.total) from None
        return source

    @abstractmethod
    def parse(self, source: Source) -> ParsedT:
        """Read and validate the whole file; raise ``ImportRefused`` with every problem found."""

    def apply(self, parsed: ParsedT, *, by: Any) -> Any:
        """Save what ``parse`` returned, in one transaction; ``ImportRefused`` if it cannot.
        (A reader that only checks files, such as ``planfile.PlanFileReader``, has none.)"""
        raise NotImplementedError

    def check(self, raw: bytes, filename: str) -> ParsedT:
        """Everything up to the preview: nothing is saved."""
        return self.parse(self.read(raw, filename))
