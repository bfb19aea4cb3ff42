"""The cards: the file name is the card's code; the code exists and is billable as claimed; the
title is the official description; the 7th-character claim is true; siblings exist; and every
line of the card passes the checks of codes in text.
"""

from __future__ import annotations

from collections.abc import Iterator

from scribeplugin.codeset import CodeSet
from scribeplugin.corpus.cards import Card
from scribeplugin.corpus.lint.problem import Problem, unknown_code
from scribeplugin.corpus.lint.text import check_text


def check_card(card: Card, cs: CodeSet) -> Iterator[Problem]:
    path, meta, lines = str(card.path), card.meta, card.meta_lines
    if card.path.stem != meta.code:
        yield Problem(path, lines.get("code", 2), f"file name should be {meta.code}.md")
    entry = cs.get(meta.code)
    if entry is None:
        yield Problem(path, lines.get("code", 2), unknown_code(meta.code, cs))
        return
    if meta.code != entry.code:
        yield Problem(path, lines.get("code", 2), f"write the code as {entry.code}")
    if meta.title != entry.description:
        yield Problem(
            path,
            lines.get("title", 2),
            f"title {meta.title!r} is not the official description {entry.description!r}",
        )
    if meta.billable != entry.billable:
        yield Problem(
            path,
            lines.get("billable", 2),
            f"billable: {str(meta.billable).lower()} is wrong; {entry.code} is "
            f"{'billable' if entry.billable else 'not billable (it has codes below it)'}",
        )
    actual_7th = "included" if entry.kind == "extended subcategory" else "none"
    if entry.seventh_characters and actual_7th == "none":
        actual_7th = "required"
    if meta.seventh_character != actual_7th:
        yield Problem(
            path,
            lines.get("seventh_character", 2),
            f"seventh_character: {meta.seventh_character} is wrong for {entry.code} "
            f"(it is {actual_7th})",
        )
    for sib in meta.siblings:
        if sib not in cs:
            yield Problem(path, lines.get("siblings", 2), f"sibling {unknown_code(sib, cs)}")
    card_head = card.heading.split(" ", 1)
    if card_head[0] != meta.code:
        yield Problem(path, card.body_start, f"heading should start with {meta.code}")
    # Every line of the file: codes, labels and claims in prose and front matter.
    text = card.path.read_text(encoding="utf-8")
    yield from check_text(path, text, cs)
