"""How deeply a YAML text nests, measured without a YAML parser.

Parsers limit nesting themselves, each in its own way and with its own wording (libyaml's
composer once recursed without limit and crashed the process; PyYAML 6.0.4's scanner now stops at
1,000 levels with "exceeded maximum nesting depth"). The plan-file reader refuses deep nesting
before any parser sees the text, so the person always gets the line and the limit in Japanese,
whatever the installed parser does.

The measure is an upper bound of the real depth (every mapping and sequence, block or flow,
counts as one level), so a text that passes it can never reach a parser's own limit: quoted text
and comments are skipped, but a bracket or indentation the parser would read as text may be
counted. Plan files nest about 15 levels at most, far below the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

_FLOW_OPEN = "[{"
_FLOW_CLOSE = "]}"


@dataclass(frozen=True)
class TooDeep:
    line: int
    depth: int


def _opens_flow(line: str, index: int) -> bool:
    return index < len(line) and line[index] in _FLOW_OPEN


def _value_start(line: str, start: int) -> tuple[int, int]:
    """Skip ``- `` sequence entries and a ``key:`` at ``start``; return (levels added, value index)."""
    levels = 0
    index = start
    length = len(line)
    while index < length and line[index] == "-" and (index + 1 == length or line[index + 1] in " \t"):
        levels += 1
        index += 1
        while index < length and line[index] in " \t":
            index += 1
    if index < length and line[index] in "\"'":
        quote = line[index]
        end = line.find(quote, index + 1)
        key_end = end + 1 if end != -1 else length
    else:
        key_end = index
    colon = line.find(": ", key_end)
    if not _opens_flow(line, index) and colon != -1 and " #" not in line[key_end:colon]:
        levels += 1
        index = colon + 2
        while index < length and line[index] in " \t":
            index += 1
    elif line.rstrip().endswith(":") and not _opens_flow(line, index):
        levels += 1
        index = length
    return levels, index


def find_too_deep(text: str, limit: int) -> TooDeep | None:
    """The first line where nesting exceeds ``limit`` levels, or None."""
    scanner = _Scanner(limit)
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            scanner.line(line)
        except _Deeper as exc:
            return TooDeep(number, exc.depth)
    return None


class _Deeper(Exception):
    def __init__(self, depth: int) -> None:
        super().__init__(depth)
        self.depth = depth


class _Scanner:
    """Reads a text line by line, keeping how deep the current line nests; raises ``_Deeper``
    where that exceeds ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        # Block lines enclosing the current one: (indentation, whether the line ends in a bare
        # "key:", whose value may be a sequence written at the same indentation, depth at the end
        # of the line).
        self.indents: list[tuple[int, bool, int]] = []
        self.flow = 0  # open [ and { brackets, possibly across lines
        self.quote = ""  # an open quoted scalar inside flow, possibly across lines
        self.block_scalar_indent = -1  # lines indented deeper than this belong to a | or > scalar
        self.base = 0  # block depth where the current flow collection started

    def line(self, line: str) -> None:
        start: int | None = 0
        if self.flow == 0 and not self.quote:
            start = self._block(line)
        if start is not None:
            self._flow(line, start)

    def _block(self, line: str) -> int | None:
        """A line outside any flow collection: where a flow collection starts on it, if one does."""
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if self._skipped(stripped, indent):
            return None
        is_entry = stripped.startswith("-") and (len(stripped) == 1 or stripped[1] in " \t")
        self._close_blocks(indent, is_entry)
        added, start = _value_start(line, indent)
        depth = (self.indents[-1][2] if self.indents else 0) + max(added, 1)
        if depth > self.limit:
            raise _Deeper(depth)
        self.indents.append((indent, start >= len(line.split(" #")[0].rstrip()), depth))
        self.base = depth
        rest = line[start:].lstrip()
        if rest and rest[0] in "|>":
            self.block_scalar_indent = indent
            return None
        if not _opens_flow(rest, 0):
            return None
        return len(line) - len(rest)

    def _skipped(self, stripped: str, indent: int) -> bool:
        """Blank lines, comments, document markers and directives, and the text of a | or > scalar."""
        if self.block_scalar_indent >= 0:
            if not stripped.strip() or indent > self.block_scalar_indent:
                return True
            self.block_scalar_indent = -1
        return not stripped.strip() or stripped.startswith("#") or stripped.startswith(("---", "...", "%"))

    def _close_blocks(self, indent: int, is_entry: bool) -> None:
        """Leave the block lines the current one is not inside."""
        while self.indents and (
            self.indents[-1][0] > indent or (self.indents[-1][0] == indent and not (is_entry and self.indents[-1][1]))
        ):
            self.indents.pop()

    def _flow(self, line: str, start: int) -> None:
        """Count the brackets of ``line`` from ``start``, skipping quoted text and comments."""
        index = start
        length = len(line)
        while index < length:
            char = line[index]
            if self.quote:
                index = self._quoted(line, index)
                continue
            if char in "\"'":
                self.quote = char
            elif char == "#" and (index == 0 or line[index - 1] in " \t"):
                break
            elif char in _FLOW_OPEN:
                self.flow += 1
                if self.base + self.flow > self.limit:
                    raise _Deeper(self.base + self.flow)
            elif char in _FLOW_CLOSE:
                self.flow = max(self.flow - 1, 0)
            index += 1

    def _quoted(self, line: str, index: int) -> int:
        """Inside a quoted scalar: the index after ``line[index]`` (and what it escapes); the
        closing quote ends the scalar."""
        char = line[index]
        if char == "\\" and self.quote == '"':
            return index + 2
        if char == self.quote:
            if self.quote == "'" and index + 1 < len(line) and line[index + 1] == "'":
                return index + 2
            self.quote = ""
        return index + 1
