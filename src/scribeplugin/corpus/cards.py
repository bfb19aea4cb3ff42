"""Guidance cards: ``corpus/cards/<CODE>.md``, YAML front matter plus item lists.

A card is written in the project's own words. Its body is a title line, a summary paragraph and
four sections whose items carry stable ids::

    ## Documentation tips        - [slug] text (continuation lines indented)
    ## Pitfalls                  - [slug] text
    ## Clinical context          - [slug] text
    ## FAQ                       ### [slug] Question?  then the answer paragraph

The full id of an item is ``<CODE>/<kind>/<slug>`` (``M53.87/pitfall/more-specific-code``):
rules, prompts, citations and eval cases refer to items by it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scribeplugin.errors import CorpusError

ItemKind = Literal["tip", "pitfall", "context", "faq"]
SECTIONS: dict[str, ItemKind] = {
    "documentation tips": "tip",
    "pitfalls": "pitfall",
    "clinical context": "context",
    "faq": "faq",
}
SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
ITEM_ID = re.compile(
    rf"\b([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{{1,4}})?)/(tip|pitfall|context|faq)/({SLUG})\b"
)
_BULLET = re.compile(rf"^- \[({SLUG})\]\s+(\S.*)$")
_FAQ = re.compile(rf"^### \[({SLUG})\]\s+(\S.*)$")
_ANY_ID = re.compile(r"^(?:- |### )\[([^\]]*)\]")


class CardError(CorpusError):
    """A card that cannot be parsed; carries the file and line for the lint report."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}")


class RelatedCpt(BaseModel):
    """A CPT code with the project's own short label (AMA descriptors are not shipped)."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[0-9]{4}[0-9FTU]$")
    label: str = Field(min_length=3, max_length=70)


class CardMeta(BaseModel):
    """The front matter. ``title`` must be the official description; lint checks the claims."""

    model_config = ConfigDict(extra="forbid")
    code: str
    title: str
    billable: bool
    seventh_character: Literal["none", "included"]
    # The spinal region, or the limb site the card's code is about ("systemic": no one site).
    region: Literal[
        "cervical", "thoracic", "thoracolumbar", "lumbar", "lumbosacral", "sacral", "multiple",
        "shoulder", "upper_arm", "elbow", "forearm", "wrist", "hand", "hip", "thigh", "knee",
        "lower_leg", "ankle", "foot", "systemic",
    ]  # fmt: skip
    verified: date
    siblings: list[str] = Field(default_factory=list)
    sources: list[str] = Field(min_length=1)
    related_cpt: list[RelatedCpt] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CardItem:
    id: str
    code: str
    kind: ItemKind
    slug: str
    text: str  # for a FAQ: the answer
    line: int
    question: str | None = None

    @property
    def full_text(self) -> str:
        return f"{self.question}\n{self.text}" if self.question else self.text


@dataclass(slots=True)
class Card:
    path: Path
    meta: CardMeta
    heading: str
    summary: str
    items: list[CardItem]
    meta_lines: dict[str, int] = field(default_factory=dict)
    body_start: int = 1

    @property
    def code(self) -> str:
        return self.meta.code

    def items_of(self, kind: ItemKind) -> list[CardItem]:
        return [i for i in self.items if i.kind == kind]


def parse_card(path: Path) -> Card:
    """Parse one card; ``CardError`` names the line of the first problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CardError(path, 1, f"cannot read card: {exc}") from exc
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise CardError(path, 1, "a card starts with YAML front matter between '---' lines")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise CardError(path, 1, "front matter is not closed by a '---' line") from None
    meta, meta_lines = _front_matter(path, "\n".join(lines[1:end]))
    body_start = end + 2  # 1-based line number of the first body line
    heading, summary, items = _body(path, meta.code, lines[end + 1 :], body_start)
    return Card(path, meta, heading, summary, items, meta_lines, body_start)


def _front_matter(path: Path, text: str) -> tuple[CardMeta, dict[str, int]]:
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        raise CardError(path, line, f"front matter is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or node is None:
        raise CardError(path, 2, "front matter must be a mapping of fields")
    meta_lines = {k.value: k.start_mark.line + 2 for k, _ in node.value}
    try:
        meta = CardMeta.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else ""
        raise CardError(
            path,
            meta_lines.get(key, 2),
            f"front matter {'.'.join(map(str, err['loc']))}: {err['msg']}",
        ) from exc
    return meta, meta_lines


def _body(
    path: Path, code: str, lines: list[str], first_line: int
) -> tuple[str, str, list[CardItem]]:
    heading, summary_lines = "", []
    items: list[CardItem] = []
    kind: ItemKind | None = None
    current: dict[str, object] | None = None

    def close() -> None:
        nonlocal current
        if current is None:
            return
        text = " ".join(str(current["text"]).split())
        if not text:
            raise CardError(
                path, int(str(current["line"])), f"item [{current['slug']}] has no text"
            )
        question = current.get("question")
        items.append(
            CardItem(
                id=f"{code}/{kind}/{current['slug']}",
                code=code,
                kind=kind,  # type: ignore[arg-type]
                slug=str(current["slug"]),
                text=text,
                line=int(str(current["line"])),
                question=str(question) if question else None,
            )
        )
        current = None

    for offset, raw in enumerate(lines):
        n = first_line + offset
        line = raw.rstrip()
        if line.startswith("# "):
            heading = line[2:].strip()
            continue
        if line.startswith("## "):
            close()
            name = line[3:].strip().lower()
            if name not in SECTIONS:
                raise CardError(
                    path,
                    n,
                    f"unknown section {line[3:].strip()!r}; expected one of "
                    + ", ".join(s.capitalize() for s in SECTIONS),
                )
            kind = SECTIONS[name]
            continue
        if kind is None:
            if line.strip():
                summary_lines.append(line.strip())
            continue
        bullet, faq = _BULLET.match(line), _FAQ.match(line)
        if (bullet or faq) is None and _ANY_ID.match(line):
            bad = _ANY_ID.match(line)
            raise CardError(
                path,
                n,
                f"bad item id [{bad.group(1) if bad else ''}]: use lowercase words joined by '-'",
            )
        if kind == "faq" and faq:
            close()
            current = {"slug": faq.group(1), "question": faq.group(2), "text": "", "line": n}
        elif kind != "faq" and bullet:
            close()
            current = {"slug": bullet.group(1), "text": bullet.group(2), "line": n}
        elif line.startswith("- ") or line.startswith("### "):
            raise CardError(path, n, "every item starts with its id, e.g. '- [short-slug] text'")
        elif line.strip():
            if current is None:
                raise CardError(path, n, "text outside an item; start items with '- [slug]'")
            current["text"] = f"{current['text']} {line.strip()}"
    close()
    if not heading:
        raise CardError(path, first_line, "the body needs a '# CODE Title' heading")
    return heading, " ".join(summary_lines), items


def load_cards(corpus_dir: Path) -> list[Card]:
    """Every card in ``corpus_dir/cards``, sorted by code; the first bad card raises."""
    cards_dir = corpus_dir / "cards"
    if not cards_dir.is_dir():
        raise CorpusError(f"No cards folder at {cards_dir}. Point SCRIBE_CORPUS_DIR at the corpus.")
    return [parse_card(p) for p in sorted(cards_dir.glob("*.md"))]
