"""Chapman's NegEx/ConText annotations: load the file, and find each concept in its sentence.

The file (see ``../shared/external/README.md``) has 2,376 tab-separated rows and no header:
``id``, a note (blank, or the annotators' remark on the row: "plts: phrase is longer than
sentence", "ssm: sentence splitter mistake", ...), the ``concept`` as it appears in the sentence
(lower case), the ``sentence`` (the concept in upper case), ``negation`` (Affirmed | Negated),
``temporality`` (Recent | Historical | Not particular, that is, hypothetical) and
``experiencer`` (Patient | Other | Family member).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from scribeplugin.errors import ScribeError

FILE_NAME = "negex_context_annotations.tsv"
LABELS = ("negated", "historical", "hypothetical", "other_experiencer")
LABEL_TITLES = {
    "negated": "negated",
    "historical": "historical",
    "hypothetical": "hypothetical",
    "other_experiencer": "other experiencer",
}
_NEGATION = {"Affirmed": False, "Negated": True}
_TEMPORALITY = ("Recent", "Historical", "Not particular")
_EXPERIENCER = {"Patient": False, "Other": True, "Family member": True}


class NegexDataError(ScribeError):
    """The NegEx/ConText annotations are absent or cannot be read."""


@dataclass(frozen=True, slots=True)
class Labels:
    """The four labels of one concept in one sentence: each true or false."""

    negated: bool = False
    historical: bool = False
    hypothetical: bool = False
    other_experiencer: bool = False

    def get(self, label: str) -> bool:
        value: bool = getattr(self, label)
        return value


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    note: str  # the annotators' remark on the row, "" for most
    concept: str
    sentence: str
    gold: Labels

    def target(self) -> tuple[int, int] | None:
        """Where the concept is in the sentence (case and runs of spaces ignored), or None."""
        words = self.concept.split()
        if not words:
            return None
        found = re.search(r"\s+".join(map(re.escape, words)), self.sentence, re.IGNORECASE)
        return None if found is None else found.span()


def default_path(external_dir: Path) -> Path:
    return external_dir / FILE_NAME


def load_rows(path: Path) -> list[Row]:
    """Every row of the file; :class:`NegexDataError` naming the file (and line) otherwise."""
    if not path.is_file():
        raise NegexDataError(
            f"{path} is absent: the NegEx/ConText check reads Chapman's annotations from "
            "../shared/external beside the checkout (or SCRIBE_EXTERNAL_DIR); they are never "
            "copied into the repository."
        )
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise NegexDataError(f"{path}: cannot be read as UTF-8 text ({exc})") from exc
    rows: list[Row] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        rows.append(_row(line, f"{path}:{n}"))
    if not rows:
        raise NegexDataError(f"{path}: no rows; expected Chapman's tab-separated annotations")
    seen: set[int] = set()
    for row in rows:
        if row.id in seen:
            raise NegexDataError(f"{path}: row id {row.id} appears twice")
        seen.add(row.id)
    return rows


def _row(line: str, where: str) -> Row:
    fields = line.split("\t")
    if len(fields) != 7:
        raise NegexDataError(
            f"{where}: {len(fields)} tab-separated fields, expected 7 (id, note, concept, "
            "sentence, negation, temporality, experiencer)"
        )
    rid, note, concept, sentence, negation, temporality, experiencer = fields
    if not rid.strip().isdigit():
        raise NegexDataError(f"{where}: id {rid!r} is not a number")
    if not concept.strip() or not sentence.strip():
        raise NegexDataError(f"{where}: the concept or the sentence is empty")
    for value, known in (
        (negation, _NEGATION),
        (temporality, _TEMPORALITY),
        (experiencer, _EXPERIENCER),
    ):
        if value not in known:
            raise NegexDataError(f"{where}: {value!r} is not one of {', '.join(known)}")
    return Row(
        id=int(rid),
        note=note.strip(),
        concept=concept,
        sentence=sentence,
        gold=Labels(
            negated=_NEGATION[negation],
            historical=temporality == "Historical",
            hypothetical=temporality == "Not particular",
            other_experiencer=_EXPERIENCER[experiencer],
        ),
    )
