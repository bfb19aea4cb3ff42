"""Look-up: walking the index as a coder does, and resolving "see" references."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from scribeplugin.alphabetic.terms import (
    MODIFIER,
    IndexTerm,
    alternatives,
    normalize_term,
    unqualified,
    words_of,
)

if TYPE_CHECKING:
    from scribeplugin.alphabetic.index import AlphabeticIndex

MAX_REDIRECTS = 4  # see -> see -> ... chains longer than this are cut (and cycles with them)

# Subterms that only join a condition to what follows (guideline I.A.15 for "with"); a coder
# reads through them, so a lookup does too when no subterm matches directly.
CONNECTORS = frozenset({"with", "without", "in", "due to", "following", "complicating", "during"})
_PLACEHOLDER = re.compile(r"^by (site|type|body region|type of .+|.+ site|cause)$", re.IGNORECASE)


Via = Literal["main term", "subterm", "modifier", "connector", "see", "see also"]


@dataclass(frozen=True, slots=True)
class Step:
    """One move of a lookup: the entry reached, how, and the query word it consumed (if any)."""

    entry: IndexTerm
    via: Via
    word: str | None = None


@dataclass(frozen=True, slots=True)
class Lookup:
    """The result of walking the index as a coder does.

    ``entry`` is the deepest entry with a code on the route (after the last "see", which sends
    the coder elsewhere instead; None if no entry there has one);
    ``reached`` the last entry the walk got to (it may have no code: a "see" the walk could not
    follow, a subterm list the query did not choose from). ``unmatched`` are the query's subterms
    the index did not list on the route: the coder's cue that the code may be less specific than
    the note.
    """

    entry: IndexTerm | None
    reached: IndexTerm
    route: tuple[Step, ...]
    unmatched: tuple[str, ...]

    @property
    def code(self) -> str | None:
        return self.entry.code if self.entry else None

    @property
    def redirected(self) -> bool:
        return any(s.via in {"see", "see also"} for s in self.route)

    @property
    def trail(self) -> str:
        """The route as text: ``Strain > muscle -> see Injury > muscle > lower back > strain``."""
        segments: list[str] = []
        for i, step in enumerate(self.route):
            if step.via in {"see", "see also"}:
                segments.append(f"{step.via} {step.entry.path_text}")
            elif i + 1 == len(self.route) or self.route[i + 1].via in {"see", "see also"}:
                segments.append(step.entry.path_text)
        return " -> ".join(segments)

    @property
    def entries(self) -> tuple[IndexTerm, ...]:
        """Every entry the route passed through, in order (what a coder would cite)."""
        return tuple(s.entry for s in self.route)


@dataclass(frozen=True, slots=True)
class Resolution:
    """Where a "see" reference leads: the entry, the query words its placeholders took, whether
    every part of it was found, and the placeholder ("by site") left open, if any."""

    entry: IndexTerm
    words: tuple[str, ...]
    complete: bool
    waiting: str | None = None


def resolve(index: AlphabeticIndex, reference: str, words: Sequence[str] = ()) -> Resolution | None:
    """The entry a "see" or "see also" reference names; None when no main term matches.

    A reference is a comma-separated path whose main term and subterms may themselves hold
    commas ("Abdomen, abdominal, acute"), so the split is searched, longest main term first.
    A "by site" or "by type" in it takes one of ``words`` that names a subterm there. A path
    that stops short (a placeholder no word fills, a subterm the index lacks) resolves to the
    deepest entry it reached, with ``complete`` False.
    """
    parts = [" ".join(MODIFIER.sub(" ", p).split()) for p in reference.split(",")]
    parts = [p for p in parts if p]
    best: Resolution | None = None
    best_used = -1
    for cut in range(len(parts), 0, -1):
        key = unqualified(", ".join(parts[:cut]))
        for main in index.main_terms_named(key):
            used, node, consumed, waiting = _descend(main, parts[cut:], list(words))
            complete = used == len(parts) - cut
            found = Resolution(node, consumed, complete, waiting)
            if complete:
                return found
            if cut + used > best_used:
                best, best_used = found, cut + used
    return best


def _match(term: IndexTerm, word: str) -> int:
    """How well a query word names a subterm: 4 its title, 3 a form it lists, 2 one of its
    nonessential modifiers, 1 words all found in its title ("lumbar" in "lumbar region"), 0 not
    at all. NEC and NOS are ignored; so is case."""
    w = unqualified(word)
    if not w:
        return 0
    title = unqualified(term.title)
    if title == w:
        return 4
    if "," in term.title and w in alternatives(term.title):
        return 3
    if any(unqualified(m).lstrip("-") == w for m in term.modifiers):
        return 2
    wanted = words_of(w)
    if wanted and set(wanted) <= set(words_of(title)):
        return 1
    return 0


def _best_child(node: IndexTerm, words: Sequence[str]) -> tuple[IndexTerm, int, Via] | None:
    """The child that best matches one of ``words``: (child, index of the word, how)."""
    best: tuple[int, int, int] | None = None  # (-score, word index, child index)
    for ci, child in enumerate(node.children):
        for wi, word in enumerate(words):
            score = _match(child, word)
            if score and (best is None or (-score, wi, ci) < best):
                best = (-score, wi, ci)
    if best is None:
        return None
    child = node.children[best[2]]
    return child, best[1], "modifier" if best[0] == -2 else "subterm"


def _descend(
    node: IndexTerm, parts: Sequence[str], words: Sequence[str]
) -> tuple[int, IndexTerm, tuple[str, ...], str | None]:
    """Follow reference ``parts`` below ``node``: (parts used, entry reached, words consumed by
    placeholders, the placeholder left open). A title may hold commas: the longest one wins."""
    if not parts:
        return 0, node, (), None
    if _PLACEHOLDER.match(parts[0]):
        hit = _best_child(node, words)
        if hit is None:
            return 0, node, (), parts[0]
        child, wi, _ = hit
        rest = [*words[:wi], *words[wi + 1 :]]
        used, end, consumed, waiting = _descend(child, parts[1:], rest)
        return used + 1, end, (words[wi], *consumed), waiting
    best: tuple[int, IndexTerm, tuple[str, ...], str | None] = (0, node, (), None)
    for cut in range(len(parts), 0, -1):
        for child in _named(node, ", ".join(parts[:cut])):
            used, end, consumed, waiting = _descend(child, parts[cut:], words)
            if used + cut == len(parts):
                return used + cut, end, consumed, waiting
            if used + cut > best[0]:
                best = (used + cut, end, consumed, waiting)
    return best


def _named(node: IndexTerm, name: str) -> Iterator[IndexTerm]:
    """The subterms a reference's part can name: the one so titled; else one that lists it as a
    form ("uterus" -> "uterus, uterine"); else the only one whose title holds its words
    ("collateral" -> "collateral ligament"); else, for "with goiter", the "goiter" under the
    connector "with"."""
    exact = node.child(name)
    if exact is not None:
        yield exact
        return
    want = unqualified(name)
    forms = [c for c in node.children if "," in c.title and want in alternatives(c.title)]
    yield from forms
    if forms:
        return
    words = set(words_of(want)) if "," not in want else set()
    holding = [c for c in node.children if words and words <= set(words_of(c.title))]
    if len(holding) == 1:  # "collateral" names "collateral ligament" when nothing else can
        yield holding[0]
        return
    for connector in sorted(CONNECTORS, key=len, reverse=True):
        if want.startswith(connector + " "):
            via = node.child(connector)
            below = via.child(want[len(connector) + 1 :]) if via is not None else None
            if below is not None:
                yield below
            return


class _Walk:
    def __init__(self, index: AlphabeticIndex, see_also: bool) -> None:
        self.index = index
        self.see_also = see_also

    def run(self, start: IndexTerm, main_word: str, words: list[str]) -> Lookup:
        route = [Step(start, "main term", main_word)]
        remaining = list(words)
        node = start
        for _ in range(MAX_REDIRECTS + 1):
            node = self._down(node, remaining, route)
            target = self._redirect(node, remaining)
            if target is None:
                break
            node, via, reference, consumed = target
            route.append(Step(node, via, reference))
            for w in consumed:
                remaining.remove(w)
        # a "see" replaces the route so far: only entries from its target on can give the code
        last_see = max((i for i, s in enumerate(route) if s.via == "see"), default=0)
        entry = next((s.entry for s in reversed(route[last_see:]) if s.entry.code), None)
        return Lookup(entry, node, tuple(route), tuple(remaining))

    def _down(self, node: IndexTerm, remaining: list[str], route: list[Step]) -> IndexTerm:
        """Descend while a child (or a connector's child) matches a remaining word."""
        while remaining:
            hit = _best_child(node, remaining)
            if hit is None:
                hit_via_connector = self._through_connector(node, remaining)
                if hit_via_connector is None:
                    break
                connector, hit = hit_via_connector
                route.append(Step(connector, "connector", None))
            child, wi, via = hit
            route.append(Step(child, via, remaining.pop(wi)))
            node = child
        return node

    @staticmethod
    def _through_connector(
        node: IndexTerm, remaining: Sequence[str]
    ) -> tuple[IndexTerm, tuple[IndexTerm, int, Via]] | None:
        for child in node.children:
            if normalize_term(child.title) in CONNECTORS:
                hit = _best_child(child, remaining)
                if hit is not None:
                    return child, hit
        return None

    def _redirect(
        self, node: IndexTerm, remaining: list[str]
    ) -> tuple[IndexTerm, Via, str, tuple[str, ...]] | None:
        """Where a "see" (or, when asked, a "see also") sends the walk next, if anywhere."""
        if node.see and not node.code:
            found = resolve(self.index, node.see, remaining)
            if found is not None and found.entry is not node:
                return found.entry, "see", node.see, found.words
        if self.see_also and node.see_also and (remaining or not node.code):
            found = resolve(self.index, node.see_also, remaining)
            if found is not None and found.entry is not node:
                rest = list(remaining)
                for w in found.words:
                    rest.remove(w)
                # worth it only if it gets somewhere: a word used, or a code where there was none
                onward = _best_child(found.entry, rest) is not None
                if found.words or onward or (found.entry.code and not node.code):
                    return found.entry, "see also", node.see_also, found.words
        return None


def walk(
    index: AlphabeticIndex, start: IndexTerm, main_word: str, words: list[str], *, see_also: bool
) -> Lookup:
    """The look-up from main term ``start`` with the query's subterm ``words``."""
    return _Walk(index, see_also).run(start, main_word, words)
