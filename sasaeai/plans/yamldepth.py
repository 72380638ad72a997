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
    # Block lines enclosing the current one: (indentation, whether the line ends in a bare "key:",
    # whose value may be a sequence written at the same indentation, depth at the end of the line).
    indents: list[tuple[int, bool, int]] = []
    flow = 0  # open [ and { brackets, possibly across lines
    quote = ""  # an open quoted scalar inside flow, possibly across lines
    block_scalar_indent = -1  # lines indented deeper than this belong to a | or > scalar
    base = 0  # block depth where the current flow collection started
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        start = 0
        if flow == 0 and not quote:
            if block_scalar_indent >= 0:
                if not stripped.strip() or indent > block_scalar_indent:
                    continue
                block_scalar_indent = -1
            if not stripped.strip() or stripped.startswith("#") or stripped.startswith(("---", "...", "%")):
                continue
            is_entry = stripped.startswith("-") and (len(stripped) == 1 or stripped[1] in " \t")
            while indents and (
                indents[-1][0] > indent or (indents[-1][0] == indent and not (is_entry and indents[-1][1]))
            ):
                indents.pop()
            added, start = _value_start(line, indent)
            depth = (indents[-1][2] if indents else 0) + max(added, 1)
            if depth > limit:
                return TooDeep(number, depth)
            indents.append((indent, start >= len(line.split(" #")[0].rstrip()), depth))
            base = depth
            rest = line[start:].lstrip()
            if rest and rest[0] in "|>":
                block_scalar_indent = indent
                continue
            if not _opens_flow(rest, 0):
                continue
            start = len(line) - len(rest)
        index = start
        length = len(line)
        while index < length:
            char = line[index]
            if quote:
                if char == "\\" and quote == '"':
                    index += 2
                    continue
                if char == quote:
                    if quote == "'" and index + 1 < length and line[index + 1] == "'":
                        index += 2
                        continue
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char == "#" and (index == 0 or line[index - 1] in " \t"):
                break
            elif char in _FLOW_OPEN:
                flow += 1
                if base + flow > limit:
                    return TooDeep(number, base + flow)
            elif char in _FLOW_CLOSE:
                flow = max(flow - 1, 0)
            index += 1
    return None
