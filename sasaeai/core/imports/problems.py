"""The one problem type of every import: where (file, sheet, row or line, column or field) and what."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_SHOWN = 50
MAX_COLUMN = 18_278  # ZZZ, the last column openpyxl can name with letters


def column_name(number: int) -> str:
    """1 → A, 27 → AA (openpyxl's rule); a number beyond ZZZ (18,278) is shown as a number."""
    if 1 <= number <= MAX_COLUMN:
        from openpyxl.utils import get_column_letter

        return get_column_letter(number)
    return _("%(n)s番目の") % {"n": f"{number:,}"}


@dataclass
class Problem:
    """One thing wrong with an uploaded file, in Japanese.

    ``row`` is the 1-based row of a sheet or CSV, or the line of a text file; ``column`` the
    1-based column; ``field`` names the column (its header) or, in a text file, the field path.
    """

    message: str
    row: int | None = None
    column: int | None = None
    field: str = ""
    sheet: str = ""
    file: str = ""

    def where(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.sheet and self.row is not None:
            parts.append(_("「%(sheet)s」シート") % {"sheet": self.sheet})
        if self.row is not None:
            parts.append(_("%(row)s行目") % {"row": f"{self.row:,}"})
        if self.column is not None and self.row is not None:
            column = _("%(col)s列") % {"col": column_name(self.column)}
            parts.append(f"{column}（{self.field}）" if self.field else column)
        elif self.field:
            parts.append(self.field)
        return " ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class ImportRefused(Exception):
    """The file cannot be imported; ``problems`` (the first ``MAX_SHOWN``) and ``total`` say why.
    Nothing was saved."""

    max_shown: int = MAX_SHOWN

    def __init__(self, problems: Iterable[Problem], total: int | None = None, filename: str = "") -> None:
        listed = list(problems)
        self.problems: list[Problem] = listed[: self.max_shown]
        self.total: int = total if total is not None else len(listed)
        if filename:
            self.set_filename(filename)
        super().__init__("; ".join(str(p) for p in self.problems))

    def set_filename(self, filename: str) -> None:
        for problem in self.problems:
            problem.file = problem.file or filename
        self.args = ("; ".join(str(p) for p in self.problems),)

    def messages(self) -> list[str]:
        shown = [str(p) for p in self.problems]
        if self.total > len(self.problems):
            shown.append(
                _("ほかにも %(n)s 件の問題があります（全部で %(total)s 件）。")
                % {"n": f"{self.total - len(self.problems):,}", "total": f"{self.total:,}"}
            )
        return shown


def refuse(
    message: str, *, row: int | None = None, column: int | None = None, field: str = "", sheet: str = ""
) -> ImportRefused:
    """The exception for one problem (``raise refuse(...)``)."""
    return ImportRefused([Problem(str(message), row, column, field, sheet)])


class Problems:
    """Collects every problem of a file; ``raise_if_any`` refuses it with all of them.

    Keeps the first ``MAX_SHOWN`` and counts the rest; with ``sort=True`` keeps them all and
    shows them in row and column order."""

    def __init__(self, *, sheet: str = "", sort: bool = False, error: type[ImportRefused] = ImportRefused) -> None:
        self.sheet = sheet
        self.sort = sort
        self.error = error
        self.items: list[Problem] = []
        self.total = 0

    def add(
        self,
        message: object,
        row: int | None = None,
        column: int | None = None,
        field: str = "",
        sheet: str | None = None,
    ) -> None:
        self.total += 1
        if self.sort or len(self.items) < MAX_SHOWN:
            self.items.append(Problem(str(message), row, column, field, self.sheet if sheet is None else sheet))

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self) -> None:
        if not self.total:
            return
        items = sorted(self.items, key=lambda p: (p.row or 0, p.column or 0)) if self.sort else self.items
        raise self.error(items, self.total)
