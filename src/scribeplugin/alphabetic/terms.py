"""The index's entries and the text rules for matching them (case, NEC/NOS, modifiers, forms)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

MODIFIER = re.compile(r"\(([^()]*)\)")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def normalize_term(text: str) -> str:
    """Case-folded, single-spaced, curly quotes straightened, edge punctuation off."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return _SPACES.sub(" ", text).strip(" ,;:.").casefold()


def unqualified(text: str) -> str:
    """``specified site NEC`` -> ``specified site``: NEC and NOS do not change what is meant."""
    t = normalize_term(text)
    for tail in (" nec", " nos"):
        if t.endswith(tail):
            return t[: -len(tail)]
    return t


def alternatives(title: str) -> list[str]:
    """The forms a title lists for one word: ``Abnormal, abnormality, abnormalities`` gives all
    three, ``uterus, uterine`` both. A comma part that is not a form of the first (the qualifier
    in ``lipomatous, benign`` or ``fibular collateral, knee``) is not one: forms share their
    first three letters."""
    parts = [unqualified(p) for p in title.split(",")]
    first = parts[0]
    return [p for p in parts if p and (p == first or p[:3] == first[:3])]


def parse_modifiers(text: str) -> tuple[str, ...]:
    """``(joint) (ligament)`` -> ``("joint", "ligament")``: the book's parenthesised words."""
    if not text:
        return ()
    found = [" ".join(m.split()) for m in MODIFIER.findall(text)]
    if not found and text.strip():  # a modifier written without parentheses
        found = [" ".join(text.split())]
    return tuple(m for m in found if m)


def words_of(text: str) -> list[str]:
    """Lower-case words of ``text``."""
    return _WORD.findall(normalize_term(text))


def same_term(a: str, b: str) -> bool:
    return unqualified(a) == unqualified(b)


_local = threading.local()  # a PyStemmer object must not be shared between threads


def stem(word: str) -> str:
    """Snowball English stem (``herniated`` and ``herniation`` -> ``herniat``)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    stemmed: str = stemmer.stemWord(word)
    return stemmed


# -- the tree -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexTerm:
    """One entry of the index: a main term (level 0) or a subterm, with its subtree.

    ``title`` is the entry's text without its nonessential modifiers (``modifiers``, the words
    in parentheses, which do not change the code). ``code`` is as the index gives it; a trailing
    ``-`` means more characters are needed (``S93.40-``). ``see`` names another entry to use
    instead ("Sprain, knee, collateral"), ``see_also`` one to look at too. ``more_codes``,
    ``manifestations`` (codes in brackets in the book), ``see_category`` and ``subcategory`` come
    from the XML only: the CSV flattening drops them.
    """

    title: str
    modifiers: tuple[str, ...]
    code: str | None
    see: str | None
    see_also: str | None
    children: tuple[IndexTerm, ...]
    path: tuple[str, ...]
    more_codes: tuple[str, ...] = ()
    manifestations: tuple[str, ...] = ()
    see_category: str | None = None
    subcategory: str | None = None
    source_line: int = field(default=0, compare=False)

    @property
    def name(self) -> str:
        """The title, or the modifiers in parentheses for the few entries that are only those."""
        return self.title or " ".join(f"({m})" for m in self.modifiers)

    @property
    def level(self) -> int:
        """0 for a main term, 1 for its subterms, and so on."""
        return len(self.path) - 1

    @property
    def path_text(self) -> str:
        """``Strain > low back``: the entry's place in the index, and its id in the vector index."""
        return " > ".join(self.path)

    @property
    def ref(self) -> str:
        """``index:Strain > low back``: how a citation names the entry."""
        return f"index:{self.path_text}"

    @property
    def needs_more_characters(self) -> bool:
        """The index marks the code incomplete (``S93.40-``): the tabular list completes it."""
        return bool(self.code and self.code.endswith("-"))

    @property
    def code_stem(self) -> str | None:
        """The code without the index's trailing ``-``: the tabular item to confirm it in."""
        return self.code.rstrip("-") if self.code else None

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code the entry gives: its code, further codes and manifestation codes."""
        return ((self.code,) if self.code else ()) + self.more_codes + self.manifestations

    def walk(self) -> Iterator[IndexTerm]:
        """This entry and every entry below it, in index order."""
        stack = [self]
        while stack:
            term = stack.pop()
            yield term
            stack.extend(reversed(term.children))

    def child(self, text: str) -> IndexTerm | None:
        """The subterm titled ``text`` (case-insensitive; NEC/NOS and modifiers in parentheses
        optional: "interphalangeal (joint)" names "interphalangeal"), or None."""
        want = unqualified(MODIFIER.sub(" ", text))
        return next((c for c in self.children if unqualified(c.title) == want), None)

    def book_line(self) -> str:
        """The entry as the printed index shows it: ``low back (modifier) S39.012``."""
        parts = [self.title, *(f"({m})" for m in self.modifiers)]
        if self.see:
            parts.append(f"- see {self.see}")
        if self.see_also:
            parts.append(f"- see also {self.see_also}")
        parts.extend(self.codes)
        return " ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class IndexRelease:
    """Which index is loaded and from where; the check and the chunks name it."""

    fiscal_year: int | None
    source: str  # the file path
    form: Literal["xml", "csv"]

    @property
    def name(self) -> str:
        year = f"FY{self.fiscal_year}" if self.fiscal_year else "release of unknown year"
        return f"ICD-10-CM Alphabetic Index {year} ({self.form.upper()})"
