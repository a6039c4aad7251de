"""Where the n-th character of a YAML scalar's *value* is in the file's text.

An error inside an expression (the parser reports a column into the value) should point into
the YAML, which is the value only for a plain one-line scalar: quotes, escapes (`\\"`, `''`),
line folding and block indentation all shift it. `value_position` replays YAML's scalar rules
over the raw text from the scalar's start and returns the source line and column of the
character at `offset` (or just past the last one, for an error at the end of the expression).

- Plain, single- and double-quoted scalars: escapes, `''`, and folding of line breaks (a break
  and the next line's indentation are one space; each blank line is a newline; `\\` at the end
  of a double-quoted line joins without a space) are followed exactly.
- Block scalars (`|`, `>`, with chomping / indentation indicators): the content starts on the
  next line; literal ones map line by line; folded ones fold a single break between two content
  lines into a space and keep blank lines as newlines. More-indented lines in a folded scalar
  keep their breaks, as YAML says.

Every decoded character is checked against the value the YAML parser produced: if the replay
ever disagrees (a construct not covered here), the result is None and the caller falls back to
the scalar's own position rather than pointing at a wrong column.
"""

from __future__ import annotations

from collections.abc import Iterator

_SIMPLE_ESCAPES = frozenset('0abtnvfre "/\\N_LP\t')
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}

Position = tuple[int, int]  # 1-based line and column


def value_position(text: str, line: int, column: int, value: str, offset: int) -> Position | None:
    """The (line, column) of `value[offset]` for the scalar starting at (`line`, `column`).

    `offset == len(value)` gives the place just after the last character. None when the replay
    does not reproduce `value` (see the module docstring).
    """
    lines = text.split("\n")
    if not 1 <= line <= len(lines) or not 0 <= offset <= len(value):
        return None
    start = sum(len(row) + 1 for row in lines[: line - 1]) + column - 1
    if start >= len(text):
        return None
    indicator = text[start]
    if indicator in "|>":
        chars = _block(text, start, lines, line)
    elif indicator in "\"'":
        chars = _quoted(text, start)
    else:
        chars = _plain(text, start)
    last_end: int | None = None
    for index, (char, raw, end) in enumerate(chars):
        if index >= len(value) or char != value[index]:
            return None
        if index == offset:
            return _line_column(text, raw)
        last_end = end
        if index == len(value) - 1:
            break
    if offset == len(value) and last_end is not None:
        return _line_column(text, last_end)
    return None


def _line_column(text: str, index: int) -> Position:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


# Each generator yields (decoded character, raw index where it was written, raw index after it).


def _fold(text: str, index: int) -> tuple[str, int]:
    """At a line break inside a flow scalar: the folded text and the index of the next content."""
    breaks = 0
    while index < len(text) and text[index] == "\n":
        breaks += 1
        index += 1
        while index < len(text) and text[index] in " \t":
            index += 1
    return (" " if breaks == 1 else "\n" * (breaks - 1)), index


def _quoted(text: str, start: int) -> Iterator[tuple[str, int, int]]:
    return _flow(text, start + 1, text[start])


def _plain(text: str, start: int) -> Iterator[tuple[str, int, int]]:
    return _flow(text, start, None)


def _flow(text: str, index: int, quote: str | None) -> Iterator[tuple[str, int, int]]:
    """A flow scalar from `index`: plain (`quote` None) or quoted, up to its closing quote."""
    pending: list[tuple[str, int, int]] = []  # whitespace that a following line break would drop
    while index < len(text):
        char = text[index]
        if char == quote and quote == "'" and text.startswith("''", index):
            yield from pending
            pending = []
            yield "'", index, index + 2
            index += 2
            continue
        if char == quote:
            yield from pending
            return
        if char == "\\" and quote == '"':
            yield from pending
            pending = []
            nxt = text[index + 1] if index + 1 < len(text) else ""
            if nxt == "\n":  # an escaped line break: joined without a space
                index += 2
                while index < len(text) and text[index] in " \t":
                    index += 1
                continue
            if nxt in _HEX_ESCAPES:
                width = _HEX_ESCAPES[nxt]
                digits = text[index + 2 : index + 2 + width]
                try:
                    decoded = chr(int(digits, 16))
                except ValueError:
                    return
                yield decoded, index, index + 2 + width
                index += 2 + width
                continue
            if nxt in _SIMPLE_ESCAPES:
                decoded = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
                           "r": "\r", "e": "\x1b", "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}.get(nxt, nxt)
                yield decoded, index, index + 2
                index += 2
                continue
            return
        if char == "\n":
            pending = []
            folded, index = _fold(text, index)
            for piece in folded:
                yield piece, index, index
            continue
        if char in " \t":
            pending.append((char, index, index + 1))
        else:
            yield from pending
            pending = []
            yield char, index, index + 1
        index += 1


def _block(text: str, start: int, lines: list[str], line: int) -> Iterator[tuple[str, int, int]]:
    line_end = text.find("\n", start)
    header = text[start : line_end if line_end != -1 else len(text)]
    folded = header[0] == ">"
    explicit = next((int(c) for c in header[1:3] if c.isdigit()), None)
    first = line  # 0-based index of the first content line
    indent = None
    parent_indent = len(lines[line - 1]) - len(lines[line - 1].lstrip(" "))
    if explicit is not None:
        indent = parent_indent + explicit
    else:
        for row in lines[first:]:
            if row.strip():
                indent = len(row) - len(row.lstrip(" "))
                break
    if indent is None:
        return
    offset = sum(len(row) + 1 for row in lines[:first])
    previous_content: str | None = None  # how the last line ended: "normal", "more" (more-indented)
    blank_run: list[int] = []
    for row in lines[first:]:
        if row.strip() and len(row) - len(row.lstrip(" ")) < indent:
            return  # the block ended
        if not row.strip():
            blank_run.append(offset + min(len(row), indent))
            offset += len(row) + 1
            continue
        content = row[indent:]
        kind = "more" if content[:1] in (" ", "\t") else "normal"
        if previous_content is not None:
            if folded and previous_content == "normal" and kind == "normal":
                if blank_run:
                    for raw in blank_run:
                        yield "\n", raw, raw
                else:
                    yield " ", offset + indent, offset + indent
            else:
                yield "\n", offset - 1, offset
                for raw in blank_run:
                    yield "\n", raw, raw
        else:
            for raw in blank_run:
                yield "\n", raw, raw
        blank_run = []
        for position, char in enumerate(content):
            raw = offset + indent + position
            yield char, raw, raw + 1
        previous_content = kind
        offset += len(row) + 1
    if previous_content is not None:
        yield "\n", offset - 1, offset
