"""Tabulating a questionnaire (単純集計・クロス集計) from compact columns (see docs/surveys.md).

The answers are kept in ``TabulationCache`` (rebuilt when ``Questionnaire.data_version`` or the
questions change) as one column per question, in respondent order (by ``Response.pk``). Choice
questions are stored as a bitmap index: one bitset per category, bit r set when respondent r gave it
(the first respondent in the highest bit), ``ceil(n / 8)`` bytes each:

- single choice and scale: ``[blank, category 1, …]`` (category = choice, or scale point from the minimum);
- multiple choice: ``[choice 1, …]`` (each respondent's bitmask of choices, sliced per choice);
- text: ``[answered]`` (the text itself stays in ``Response``);
- number: ``array('d')`` of 8-byte floats, NaN = blank.

For 100,000 respondents a four-choice question takes 5 × 12.5 KB, less than an ``array('H')`` of
indexes (200 KB), and counting needs no pass over the respondents: a count is ``int.bit_count()``
and a cell of a cross tabulation is ``(attribute_bits & answer_bits).bit_count()``, both in C.

The cache bytes are ``MAGIC``, a little-endian ``uint32`` header length, a JSON header (format,
data version, questions' signature, respondent count, and each column's code, kind, category count,
offset, length and number of bitsets) and the columns' bytes (bitsets big-endian, floats
little-endian). No pickle.

Percentages: of the respondents who answered the question (n, blanks excluded), rounded half up to one
decimal; for a multiple choice, of the respondents who chose at least one (so they add up to more
than 100). Cross tabulation: rows = the attribute's categories (and 無回答 when some respondents left
the attribute blank), columns = the answer's categories, each cell's count and % of its row's n.
"""

from __future__ import annotations

import array
import json
import math
import statistics
import struct
import sys
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import compress

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import Question, Response, TabulationCache
from .services import surveys

MAGIC = b"SASAEAI-TAB\x01"
FORMAT = 2
LITTLE = sys.byteorder == "little"
_ONE = ord("1")
_ZERO = ord("0")


# --------------------------------------------------------------------------- columns


@dataclass
class Column:
    """One question's answers. ``bits`` (choice questions and text) are bitsets over respondents:
    single / scale ``[blank, category 1, …]``, multiple ``[choice 1, …]``, text ``[answered]``;
    ``values`` (number questions) is an ``array('d')`` with NaN for blank."""

    code: str
    kind: str
    size: int  # number of categories (choices, scale points); 0 for number/text
    bits: list = field(default_factory=list)
    values: array.array | None = None
    answered: int | None = None


def _mask_type(size: int) -> str:
    for typecode in ("B", "H", "I", "Q"):
        if size <= array.array(typecode).itemsize * 8:
            return typecode
    raise ValueError("too many choices for a bitmask")  # question_save keeps it to 64


def _to_bits(plane: bytes, table: bytes) -> int:
    """A bitset from one byte per respondent: ``table`` maps each byte to b"1" (member) or b"0"."""
    return int(plane.translate(table), 2) if plane else 0


_EQUAL = [bytes(_ONE if b == i else _ZERO for b in range(256)) for i in range(256)]
_BIT = [bytes(_ONE if b & (1 << j) else _ZERO for b in range(256)) for j in range(8)]
_NONZERO = bytes(_ZERO if b == 0 else _ONE for b in range(256))


def index_bits(indexes, size: int, n: int) -> list[int]:
    """Bitsets [blank, 1, …, size] from a list of category indexes (0 = blank) in respondent order."""
    if size < 256:
        plane = bytes(indexes)
        return [_to_bits(plane, _EQUAL[i]) for i in range(size + 1)]
    planes = [bytearray(b"0" * n) for _ in range(size + 1)]  # many categories (e.g. 300 町内会)
    for r, v in enumerate(indexes):
        planes[v][r] = _ONE
    return [int(p, 2) if p else 0 for p in planes]


def mask_bits(masks, size: int) -> list[int]:
    """Bitsets [choice 1, …] from a list of per-respondent bitmasks (bit j = choice j + 1)."""
    typecode = _mask_type(size)
    values = array.array(typecode, masks)
    if not LITTLE and values.itemsize > 1:
        values.byteswap()
    raw, width = values.tobytes(), values.itemsize
    return [_to_bits(raw[j // 8 :: width] if width > 1 else raw, _BIT[j % 8]) for j in range(size)]


class Columns:
    """The answers of one questionnaire as compact columns: one bitset per answer category (bit r =
    respondent r, the first respondent in the highest bit), numbers as floats."""

    def __init__(self, *, n, data_version, signature, columns, max_pk=0):
        self.n = n
        self.data_version = data_version
        self.signature = signature
        self.max_pk = max_pk  # the last Response.pk included (responses are in pk order)
        self.columns = columns  # {code: Column}
        self.all_bits = (1 << n) - 1
        self.nbytes = (n + 7) // 8

    def category_bits(self, code) -> list[int]:
        """Single/scale: [bits of blank, bits of category 1, …]; multiple: [bits of choice 1, …]."""
        return self.columns[code].bits

    def answered_bits(self, code) -> int:
        col = self.columns[code]
        if col.answered is None:
            if col.kind == Question.Kind.MULTIPLE:
                bits = 0
                for b in col.bits:
                    bits |= b
            elif col.kind in (Question.Kind.SINGLE, Question.Kind.SCALE):
                bits = self.all_bits & ~col.bits[0]
            elif col.kind == Question.Kind.TEXT:
                bits = col.bits[0]
            else:  # number: NaN is blank
                flags = bytes(_ZERO if v != v else _ONE for v in col.values)
                bits = int(flags, 2) if flags else 0
            col.answered = bits
        return col.answered

    def members(self, bits: int) -> list[int]:
        """The 0-based respondent indexes in a bitset (for tests and small lists)."""
        text = format(bits, "b").zfill(self.n) if self.n else ""
        return [i for i, ch in enumerate(text) if ch == "1"]

    def selector(self, bits: int) -> bytes:
        """Bytes of 1/0 per respondent for ``itertools.compress`` (number columns)."""
        text = format(bits, "b").zfill(self.n) if self.n else ""
        return text.encode("ascii").translate(bytes(1 if b == _ONE else 0 for b in range(256)))

    # -- serialisation

    def to_bytes(self) -> bytes:
        header_cols, payload, offset = [], [], 0
        for col in self.columns.values():
            if col.values is not None:
                values = col.values
                if not LITTLE:
                    values = array.array("d", values)
                    values.byteswap()
                chunks = [values.tobytes()]
            else:
                chunks = [b.to_bytes(self.nbytes, "big") for b in col.bits]
            length = sum(len(c) for c in chunks)
            header_cols.append(
                {
                    "code": col.code,
                    "kind": col.kind,
                    "size": col.size,
                    "offset": offset,
                    "length": length,
                    "bitsets": 0 if col.values is not None else len(chunks),
                }
            )
            payload.extend(chunks)
            offset += length
        header = json.dumps(
            {
                "format": FORMAT,
                "data_version": self.data_version,
                "signature": self.signature,
                "n": self.n,
                "max_pk": self.max_pk,
                "columns": header_cols,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        return b"".join([MAGIC, struct.pack("<I", len(header)), header, *payload])

    @classmethod
    def from_bytes(cls, data) -> Columns | None:
        data = bytes(data)
        if not data.startswith(MAGIC):
            return None
        start = len(MAGIC)
        (length,) = struct.unpack_from("<I", data, start)
        header = json.loads(data[start + 4 : start + 4 + length].decode("utf-8"))
        if header.get("format") != FORMAT:
            return None
        base = start + 4 + length
        nbytes = (header["n"] + 7) // 8
        columns = {}
        for c in header["columns"]:
            begin = base + c["offset"]
            col = Column(c["code"], c["kind"], c["size"])
            if c["bitsets"]:
                col.bits = [
                    int.from_bytes(data[begin + i * nbytes : begin + (i + 1) * nbytes], "big")
                    for i in range(c["bitsets"])
                ]
            else:
                col.values = array.array("d")
                col.values.frombytes(data[begin : begin + c["length"]])
                if not LITTLE:
                    col.values.byteswap()
            columns[c["code"]] = col
        return cls(
            n=header["n"],
            data_version=header["data_version"],
            signature=header["signature"],
            columns=columns,
            max_pk=header.get("max_pk", 0),
        )

    def extended(self, added: Columns) -> Columns:
        """These respondents followed by those of ``added`` (same questions)."""
        m = added.n
        columns = {}
        for code, col in self.columns.items():
            other = added.columns[code]
            if col.values is not None:
                values = array.array("d", col.values)
                values.extend(other.values)
                columns[code] = Column(code, col.kind, col.size, values=values)
            else:
                columns[code] = Column(
                    code, col.kind, col.size, bits=[(a << m) | b for a, b in zip(col.bits, other.bits, strict=False)]
                )
        return Columns(
            n=self.n + m,
            data_version=added.data_version,
            signature=self.signature,
            columns=columns,
            max_pk=max(self.max_pk, added.max_pk),
        )


def build_columns(spec, answer_rows, *, data_version=0, max_pk=0) -> Columns:
    """Columns from an iterable of answers dicts (``Response.answers``), in respondent order."""
    rows = answer_rows if isinstance(answer_rows, list) else list(answer_rows)
    n = len(rows)
    columns = {}
    for q in spec.questions:
        code = q.code
        size = len(q.categories)
        if q.kind in (Question.Kind.SINGLE, Question.Kind.SCALE):
            index = {}
            for i, (c, _label) in enumerate(q.categories, start=1):
                index[int(c) if q.kind == Question.Kind.SCALE else c] = i
            get = index.get
            columns[code] = Column(code, q.kind, size, bits=index_bits([get(a.get(code), 0) for a in rows], size, n))
        elif q.kind == Question.Kind.MULTIPLE:
            bit = {c: 1 << i for i, (c, _label) in enumerate(q.categories)}
            memo: dict[object, int] = {}

            def mask(value, bit=bit, memo=memo):
                if not value:
                    return 0
                key = tuple(value)
                m = memo.get(key)
                if m is None:
                    m = 0
                    for c in value:
                        m |= bit.get(c, 0)
                    memo[key] = m
                return m

            columns[code] = Column(code, q.kind, size, bits=mask_bits([mask(a.get(code)) for a in rows], size))
        elif q.kind == Question.Kind.NUMBER:
            nan = math.nan
            columns[code] = Column(code, q.kind, 0, values=array.array("d", [_float(a.get(code), nan) for a in rows]))
        else:
            plane = bytes(1 if a.get(code) else 0 for a in rows)
            columns[code] = Column(code, q.kind, 0, bits=[_to_bits(plane, _NONZERO)])
    return Columns(n=n, data_version=data_version, signature=spec.signature, columns=columns, max_pk=max_pk)


def _float(value, default):
    if value is None or isinstance(value, bool):
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def get_columns(questionnaire, spec=None, *, rebuild=False) -> Columns:
    """The questionnaire's columns from ``TabulationCache`` (one query) when it matches the current
    data version and questions. When responses were only added since (online answers, an appending
    import), the new ones are read and appended; otherwise (deletions, replaced or edited questions)
    everything is rebuilt from the responses. Either way the cache is saved again."""
    spec = spec or surveys.questionnaire_spec(questionnaire)
    version = questionnaire.data_version  # read before the responses: a later change leaves the cache stale
    responses = Response.objects.filter(questionnaire=questionnaire)
    if not rebuild:
        row = TabulationCache.objects.filter(questionnaire=questionnaire).values_list("data_version", "data").first()
        columns = Columns.from_bytes(row[1]) if row else None
        if row is not None and columns is not None and columns.signature == spec.signature:
            if row[0] == version and columns.data_version == version:
                return columns
            if responses.filter(pk__lte=columns.max_pk).count() == columns.n:  # nothing removed: append
                rows = list(responses.filter(pk__gt=columns.max_pk).order_by("pk").values_list("pk", "answers"))
                added = build_columns(
                    spec, [a for _pk, a in rows], data_version=version, max_pk=rows[-1][0] if rows else columns.max_pk
                )
                columns = columns.extended(added)
                save_columns(questionnaire, columns)
                return columns
    rows = list(responses.order_by("pk").values_list("pk", "answers").iterator(chunk_size=5000))
    columns = build_columns(spec, [a for _pk, a in rows], data_version=version, max_pk=rows[-1][0] if rows else 0)
    save_columns(questionnaire, columns)
    return columns


def save_columns(questionnaire, columns: Columns) -> None:
    """Store ``columns`` as the questionnaire's cache (built for ``columns.data_version``)."""
    try:
        with transaction.atomic():
            TabulationCache.objects.update_or_create(
                questionnaire=questionnaire, defaults={"data_version": columns.data_version, "data": columns.to_bytes()}
            )
    except IntegrityError:  # built at the same moment by another request
        pass


# --------------------------------------------------------------------------- figures


def pct(count, n) -> Decimal | None:
    if not n:
        return None
    return (Decimal(count) * 100 / Decimal(n)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _mean(total, n) -> Decimal | None:
    if not n:
        return None
    return (Decimal(total) / Decimal(n)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _decimal(value, places="0.01"):
    if value is None:
        return None
    return Decimal(repr(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


@dataclass
class Cell:
    code: str
    label: str
    count: int
    percent: Decimal | None


@dataclass
class Simple:
    """単純集計 of one question."""

    spec: surveys.QuestionSpec
    total: int  # respondents
    n: int  # answered
    blank: int
    rows: list  # [Cell]
    mean: Decimal | None = None  # scale and number
    median: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    @property
    def has_rows(self):
        return bool(self.rows)


def simple(columns: Columns, q) -> Simple:
    code = q.code
    total = columns.n
    if q.kind in (Question.Kind.SINGLE, Question.Kind.SCALE, Question.Kind.MULTIPLE):
        bits = columns.category_bits(code)
        if q.kind == Question.Kind.MULTIPLE:
            counts = [b.bit_count() for b in bits]
            n = columns.answered_bits(code).bit_count()
        else:
            counts = [b.bit_count() for b in bits[1:]]
            n = total - bits[0].bit_count()
        rows = [Cell(c, label, count, pct(count, n)) for (c, label), count in zip(q.categories, counts, strict=False)]
        result = Simple(q, total, n, total - n, rows)
        if q.kind == Question.Kind.SCALE:
            result.mean = _mean(sum(int(c) * count for (c, _l), count in zip(q.categories, counts, strict=False)), n)
        return result
    if q.kind == Question.Kind.NUMBER:
        values = [v for v in columns.columns[code].values if v == v]
        n = len(values)
        result = Simple(q, total, n, total - n, [])
        if n:
            result.mean = _decimal(math.fsum(values) / n)
            result.median = _decimal(statistics.median(values))
            result.minimum = _decimal(min(values), "0.01")
            result.maximum = _decimal(max(values), "0.01")
        return result
    n = columns.answered_bits(code).bit_count()
    return Simple(q, total, n, total - n, [])


def simple_all(columns: Columns, spec) -> list[Simple]:
    return [simple(columns, q) for q in spec.questions]


@dataclass
class CrossRow:
    code: str
    label: str
    respondents: int  # in this attribute category
    n: int  # of them, answered the question
    counts: list  # per answer category
    percents: list
    mean: Decimal | None = None
    is_total: bool = False
    is_blank: bool = False

    @property
    def cells(self):
        return list(zip(self.counts, self.percents, strict=False))

    @property
    def blank(self):
        return self.respondents - self.n


@dataclass
class Cross:
    """クロス集計: ``question`` by ``attribute``."""

    question: object
    attribute: object
    columns: list  # [(code, label)] of the question's categories
    rows: list  # [CrossRow] one per attribute category (+ 無回答)
    total: CrossRow

    @property
    def all_rows(self):
        return [*self.rows, self.total]


def cross(columns: Columns, question, attribute) -> Cross:
    """Cross tabulation of ``question`` (any kind) by ``attribute`` (single choice or scale)."""
    if not attribute.is_axis:
        raise ValueError("the attribute must be a single choice or a scale")
    attr_bits = columns.category_bits(attribute.code)
    groups = [(c, label, bits) for (c, label), bits in zip(attribute.categories, attr_bits[1:], strict=False)]
    if attr_bits[0]:
        groups.append(("", _("無回答"), attr_bits[0]))
    everyone = ("", _("全体"), columns.all_bits)
    kind = question.kind
    answered = columns.answered_bits(question.code)
    result_rows = []
    if kind in (Question.Kind.SINGLE, Question.Kind.SCALE, Question.Kind.MULTIPLE):
        cats = columns.category_bits(question.code)
        cats = cats if kind == Question.Kind.MULTIPLE else cats[1:]
        points = [int(c) for c, _l in question.categories] if kind == Question.Kind.SCALE else None
        for code, label, bits in [*groups, everyone]:
            counts = [(bits & b).bit_count() for b in cats]
            n = (bits & answered).bit_count()
            row = CrossRow(code, label, bits.bit_count(), n, counts, [pct(c, n) for c in counts])
            if points is not None:
                row.mean = _mean(sum(p * c for p, c in zip(points, counts, strict=False)), n)
            result_rows.append(row)
        header = list(question.categories)
    elif kind == Question.Kind.NUMBER:
        values = columns.columns[question.code].values
        for code, label, bits in [*groups, everyone]:
            chosen = [v for v in compress(values, columns.selector(bits)) if v == v]
            row = CrossRow(code, label, bits.bit_count(), len(chosen), [], [])
            row.mean = _decimal(math.fsum(chosen) / len(chosen)) if chosen else None
            result_rows.append(row)
        header = []
    else:
        for code, label, bits in [*groups, everyone]:
            result_rows.append(CrossRow(code, label, bits.bit_count(), (bits & answered).bit_count(), [], []))
        header = []
    total = result_rows.pop()
    total.is_total = True
    if attr_bits[0]:
        result_rows[-1].is_blank = True
    return Cross(question, attribute, header, result_rows, total)
