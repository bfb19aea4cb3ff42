"""What a text field may hold: checked at the boundary, before anything is hashed or stored.

JSON can carry code points that are not text: ``"\\ud800"`` decodes to an unpaired surrogate,
which no UTF-8 encoder accepts (hashing it for the audit row raised), and ``"\\u0000"`` to NUL.
Every string of a JSON body is checked by the input guard (``middleware``); single-line fields
(ids, codes, labels) and query or path parameters are checked by their types here as well.

Free text (transcripts, notes, reasons, comments) may hold tabs, line breaks and form feeds;
single-line fields hold no control character at all. Messages name the code point and its
offset, never the text around it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import AfterValidator

# C0 controls other than tab, LF, FF and CR; DEL; unpaired surrogates (a JSON decoder joins
# the halves of a pair into one character, so any surrogate left is unpaired).
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]")
_NOT_LINE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
# JSON escapes that may decode to one of those: a cheap test before the body is walked.
JSON_ESCAPE_OF_CONCERN = re.compile(rb"\\u(?:00[01][0-9a-f]|007f|d[89a-f][0-9a-f]{2})", re.I)


def text_problem(value: str, *, single_line: bool = False) -> str | None:
    """Why ``value`` is not acceptable text, or None."""
    bad = (_NOT_LINE if single_line else _NOT_TEXT).search(value)
    if bad is None:
        return None
    code = ord(bad.group())
    what = "an unpaired surrogate" if 0xD800 <= code <= 0xDFFF else "the control character"
    allowed = "no control characters" if single_line else "tabs and line breaks are allowed"
    return f"contains {what} U+{code:04X} at offset {bad.start()}; send UTF-8 text ({allowed})"


def _text(value: str) -> str:
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _line(value: str) -> str:
    problem = text_problem(value, single_line=True)
    if problem is not None:
        raise ValueError(problem)
    return value


Text = Annotated[str, AfterValidator(_text)]
"""Free text: tabs, line breaks and form feeds allowed, no other control character."""

Line = Annotated[str, AfterValidator(_line)]
"""One line: no control character at all."""


def excerpt(value: object, limit: int = 40) -> str:
    """At most ``limit`` characters of a value an error message names, so an error never
    echoes more than a short excerpt of the input (a 100 KB id gives a short error)."""
    text = str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def first_problem(data: Any) -> tuple[str, str] | None:
    """The first string (key or value) of decoded JSON that is not acceptable text, as
    (where, why); ``where`` is like ``transcript[3].text``."""
    for where, value in _strings(data, ""):
        problem = text_problem(value)
        if problem is not None:
            return where or "body", problem
    return None


def _strings(data: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string in document order, keys included (iterative: JSON may nest deeply)."""
    stack: list[tuple[str, Any]] = [(where, data)]
    while stack:
        at, item = stack.pop()
        if isinstance(item, str):
            yield at, item
        elif isinstance(item, dict):
            children = []
            for key, value in item.items():
                if isinstance(key, str) and text_problem(key) is not None:
                    yield (at or "body") + " (a field name)", key
                children.append((f"{at}.{excerpt(key)}" if at else excerpt(key), value))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(f"{at}[{i}]", v) for i, v in enumerate(item)]))
