"""Codes in free text: every ICD-10-CM code named exists (``M51.1-`` must be a real category with
codes below it); a label written as ``CODE (label)`` or ``label (CODE)`` does not contradict the
official description (e.g. calling M54.4- "radiculopathy"); sentences claiming a code is (not)
billable or has no 7th character are true; item ids (when given) are well formed and exist.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scribeplugin.codeset import CodeEntry, CodeSet
from scribeplugin.corpus.cards import ITEM_ID
from scribeplugin.corpus.lint.problem import Problem, unknown_code

if TYPE_CHECKING:
    from scribeplugin.corpus.cards import Card

# A code as written in prose: M53.87, M54.4-, S33.5XXA, M51.- ; not part of a word or an id.
CODE_IN_TEXT = re.compile(r"(?<![\w.])([A-TV-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?)(\.?-)?(?![\w])")
_LEVEL_RANGE = re.compile(r"^[CTLS][0-9]{1,2}$")
_SENTENCE = re.compile(r".+?(?:[.!?](?=\s|$)|$)")

# Clinical terms whose presence in a label must be backed by the official text. Each term lists
# the words that may stand for it in a label, and the words that support it in official text.
_TERMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "radiculopathy": (("radiculopathy", "radicular"), ("radiculopathy",)),
    "sciatica": (("sciatica",), ("sciatica",)),
    "lumbago": (("lumbago",), ("lumbago", "low back pain")),
    "low back pain": (("low back pain", "lbp"), ("low back pain", "lumbago")),
    "stenosis": (("stenosis",), ("stenosis",)),
    "claudication": (("claudication",), ("claudication",)),
    "displacement": (
        ("herniation", "herniated", "displacement", "protrusion", "extrusion", "prolapse"),
        ("displacement", "disc disorder", "herniat"),
    ),
    "degeneration": (("degeneration", "degenerative"), ("degeneration", "degenerative")),
    "spondylosis": (("spondylosis",), ("spondylosis",)),
    "spondylolisthesis": (("spondylolisthesis",), ("spondylolisthesis",)),
    "instability": (("instability", "instabilities", "unstable"), ("instabilit",)),
    "myelopathy": (("myelopathy",), ("myelopathy",)),
    "discitis": (("discitis",), ("discitis",)),
    "sprain": (("sprain",), ("sprain",)),
    "strain": (("strain",), ("strain",)),
    "cervicalgia": (("cervicalgia", "neck pain"), ("cervicalgia", "neck pain")),
    "fracture": (("fracture",), ("fracture",)),
}
_REGIONS = (
    "occipito-atlanto-axial",
    "cervicothoracic",
    "cervical",
    "thoracolumbar",
    "thoracic",
    "lumbosacral",
    "lumbar",
    "sacrococcygeal",
    "sacral",
)
_REGION_WORDS = re.compile(r"\b(" + "|".join(_REGIONS) + r")\b")
# Words that end a label when reading leftwards from "(CODE)".
_LABEL_STOP = {
    "is",
    "are",
    "as",
    "to",
    "use",
    "uses",
    "using",
    "code",
    "codes",
    "coded",
    "for",
    "and",
    "or",
    "the",
    "a",
    "an",
    "not",
    "than",
    "from",
    "by",
    "into",
    "at",
    "under",
    "instead",
    "means",
    "then",
    "its",
    "their",
    "goes",
    "go",
    "fits",
    "fit",
    "choose",
    "pick",
    "assign",
    "report",
    "reported",
    "be",
    "becomes",
    "while",
    "whereas",
    "but",
    "so",
    "only",
    "when",
    "if",
    "that",
    "which",
    "it",
    "this",
    "these",
    "those",
    "see",
    "like",
    "such",
    "e.g.",
    "unlike",
    "versus",
    "vs",
    "vs.",
    "on",
    "in",
    "of",
    "plus",
    "also",
    "with",
    "without",
}
_NEGATED_LABEL = re.compile(r"\b(not|no|never|isn't|is not|rather than|instead of)\b")


def check_text(
    path: str, text: str, cs: CodeSet, item_ids: dict[str, Card] | None = None
) -> Iterator[Problem]:
    """Codes, labels, claims and (optionally) item ids in free text.

    The text is read as one flow (a label or sentence may wrap across lines); each problem
    names the line where its code starts.
    """
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def line_of(offset: int) -> int:
        return bisect.bisect_right(starts, offset)

    flat = text.replace("\n", " ")
    for m in ITEM_ID.finditer(flat):
        if item_ids is not None and m.group(0) not in item_ids:
            yield Problem(path, line_of(m.start()), f"unknown card item id {m.group(0)}")
    scrubbed = ITEM_ID.sub(lambda m: " " * len(m.group(0)), flat)
    for m in CODE_IN_TEXT.finditer(scrubbed):
        code, dash, n = m.group(1), m.group(2), line_of(m.start())
        if _is_level(scrubbed, m):
            continue
        entry = cs.get(code)
        if entry is None:
            yield Problem(path, n, unknown_code(code + (dash or ""), cs))
            continue
        if dash and entry.billable:
            yield Problem(
                path, n, f"{code}- names codes below {code}, but {code} is itself a billable code"
            )
        label = _label_near(scrubbed, m)
        if label:
            bad = _contradiction(label, entry, cs, dash is not None)
            if bad:
                yield Problem(
                    path,
                    n,
                    f"label {label!r} for {code}{dash or ''} contradicts the official "
                    f"description {entry.description!r} ({bad})",
                )
    for sm in _SENTENCE.finditer(scrubbed):
        yield from _claims(path, line_of(sm.start()), sm.group(0), cs)


def _is_level(line: str, m: re.Match[str]) -> bool:
    """T12-L1 or L5-S1 style spinal levels are not codes."""
    code = m.group(1)
    if not _LEVEL_RANGE.match(code):
        return False
    before, after = line[: m.start()], line[m.end() :]
    return bool(re.match(r"^[-/][CTLS]?\d", after) or re.search(r"[CTLS]\d{1,2}[-/]$", before))


def _label_near(line: str, m: re.Match[str]) -> str | None:
    after = line[m.end() :]
    paren = re.match(r"\s*\(([^()]{3,100})\)", after)
    if paren and not CODE_IN_TEXT.search(paren.group(1)):
        return paren.group(1).strip()
    # "label (CODE)" or "label (CODE, ...)": the code opens a parenthesis.
    before = line[: m.start()]
    if before.endswith("(") and re.match(r"\s*[),]", after):
        words = re.split(r"[\s]+", re.split(r"[,;:.\u2014()\"]", before[:-1])[-1].strip())
        label: list[str] = []
        for w in reversed(words):
            if not w or w.lower() in _LABEL_STOP:
                break
            label.insert(0, w)
        if label and len(label) <= 8:
            return " ".join(label)
    return None


def _official_text(entry: CodeEntry, cs: CodeSet, category: bool) -> str:
    """Description and inclusion terms of the code, its ancestors, and (for M54.4-) its children."""
    parts: list[str] = []
    chain = [entry.code, *cs.ancestors(entry.code)]
    for code in chain:
        e = cs.lookup(code)
        if e.kind in {"chapter"}:
            break
        parts += [e.description, *e.inclusion_terms, *e.includes]
    if category:
        for code in cs.descendants(entry.code):
            e = cs.lookup(code)
            parts += [e.description, *e.inclusion_terms]
    return " ".join(parts).lower()


def _contradiction(label: str, entry: CodeEntry, cs: CodeSet, category: bool) -> str | None:
    low = label.lower()
    if _NEGATED_LABEL.search(low):
        return None
    official = _official_text(entry, cs, category)
    for term, (label_words, official_words) in _TERMS.items():
        if any(re.search(rf"\b{re.escape(w)}\b", low) for w in label_words) and not any(
            w in official for w in official_words
        ):
            return f"the code's official text does not say {term}"
    for region in _REGION_WORDS.findall(low):
        if not re.search(rf"\b{region}\b", official):
            return f"the code is not for the {region} region"
    return None


_CLAIM_NOT_BILLABLE = re.compile(
    r"\b(not billable|non-billable|nonbillable|not a billable|cannot be billed|header code)\b", re.I
)
_CLAIM_BILLABLE = re.compile(r"\b(is|are) (a )?(complete )?billable\b", re.I)
_CLAIM_NO_7TH = re.compile(
    r"\b(no|without a|does not need a|doesn't need a|never takes a) 7th[- ]character\b", re.I
)


def _claims(path: str, n: int, sentence: str, cs: CodeSet) -> Iterator[Problem]:
    """Check one-code sentences that say a code is (not) billable or has no 7th character."""
    codes = [m.group(1) for m in CODE_IN_TEXT.finditer(sentence) if not m.group(2)]
    codes = [c for c in codes if c in cs]
    if len(set(codes)) != 1:
        return
    entry = cs.lookup(codes[0])
    says_not = _CLAIM_NOT_BILLABLE.search(sentence)
    if says_not and entry.billable:
        yield Problem(path, n, f"says {entry.code} is not billable, but it is billable")
    elif _CLAIM_BILLABLE.search(sentence) and not says_not and not entry.billable:
        yield Problem(path, n, f"says {entry.code} is billable, but it has codes below it")
    if _CLAIM_NO_7TH.search(sentence) and entry.requires_seventh_character:
        yield Problem(path, n, f"says {entry.code} takes no 7th character, but it requires one")
