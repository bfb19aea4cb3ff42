"""The loaded index: main terms and their subterm trees, look-up, word search, loading."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from scribeplugin.alphabetic.lookup import Lookup, Resolution, resolve, walk
from scribeplugin.alphabetic.readers import VENDORED_NAME, XmlReader, read_csv
from scribeplugin.alphabetic.terms import (
    IndexRelease,
    IndexTerm,
    alternatives,
    same_term,
    stem,
    unqualified,
    words_of,
)

log = logging.getLogger(__name__)


class AlphabeticIndex:
    """The loaded index: main terms with their subterm trees, look-up, word search.

    Build with ``from_xml``, ``from_csv`` or ``get_alphabetic``; immutable once built, safe to
    share between threads.
    """

    def __init__(self, main_terms: Sequence[IndexTerm], release: IndexRelease) -> None:
        self.main_terms: tuple[IndexTerm, ...] = tuple(main_terms)
        self.release = release
        self._by_title: dict[str, list[IndexTerm]] = {}
        self._by_word: dict[str, set[int]] = {}
        self._by_stem: dict[str, set[int]] = {}
        for i, term in enumerate(self.main_terms):
            self._by_title.setdefault(unqualified(term.title), []).append(term)
            for word in words_of(term.title):
                self._by_word.setdefault(word, set()).add(i)
                self._by_stem.setdefault(stem(word), set()).add(i)
        # "Abnormal" and "Abnormal, abnormality" both name "Abnormal, abnormality, abnormalities"
        # (references use the first words); "abnormality" names it too (a look-up may)
        self._by_prefix: dict[str, list[IndexTerm]] = {}
        self._by_part: dict[str, list[IndexTerm]] = {}
        for term in self.main_terms:
            parts = term.title.split(",")
            for cut in range(1, len(parts)):
                key = unqualified(",".join(parts[:cut]))
                self._by_prefix.setdefault(key, []).append(term)
            for form in alternatives(term.title)[1:]:
                self._by_part.setdefault(form, []).append(term)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_xml(cls, path: Path) -> AlphabeticIndex:
        """The CDC's index XML (``icd10cm_index_<year>.xml``)."""
        return cls(*XmlReader(path).read())

    @classmethod
    def from_csv(cls, path: Path) -> AlphabeticIndex:
        """The CSV flattening (``RowID, Letter, Level, Term, See, SeeAlso, NonEssModif, Code``),
        plain or gzipped."""
        return cls(*read_csv(path))

    # -- reading ------------------------------------------------------------------------------

    def __len__(self) -> int:
        """Every entry, main terms and subterms."""
        return sum(1 for _ in self.entries())

    def entries(self) -> Iterator[IndexTerm]:
        """Every entry in index order."""
        for term in self.main_terms:
            yield from term.walk()

    def coded_entries(self) -> Iterator[IndexTerm]:
        """Every entry that gives a code."""
        return (e for e in self.entries() if e.code)

    def main_term(self, title: str) -> IndexTerm | None:
        """The main term titled ``title`` (case-insensitive; NEC/NOS optional), else one whose
        title begins with it (``Abnormal`` -> ``Abnormal, abnormality, abnormalities``), else one
        that lists it as a form (``lumbalgia`` -> ``Lumbago, lumbalgia``)."""
        key = unqualified(title)
        found = self.main_terms_named(key) or self._by_part.get(key)
        return found[0] if found else None

    def main_terms_named(self, key: str) -> list[IndexTerm]:
        """Main terms titled ``key`` (as ``unqualified`` writes it), else those whose title
        begins with it: what the first words of a "see" reference name."""
        return self._by_title.get(key) or self._by_prefix.get(key) or []

    def get(self, path: str | Sequence[str]) -> IndexTerm | None:
        """The entry at an exact path: ``"Strain > low back"`` or ``("Strain", "low back")``."""
        parts = [p.strip() for p in path.split(">")] if isinstance(path, str) else list(path)
        if not parts:
            return None
        for node in self._by_title.get(unqualified(parts[0]), []):
            for part in parts[1:]:
                nxt = next((c for c in node.children if same_term(c.name, part)), None)
                if nxt is None:
                    break
                node = nxt
            else:
                return node
        return None

    def find(self, words: str | Iterable[str], limit: int = 10) -> list[IndexTerm]:
        """Main terms that hold the given words, best first: ``"strain"`` -> ``[Strain, ...]``.

        Whole words count over words of the same stem (``strain`` also finds ``Straining``,
        ``herniated`` finds ``Herniation``), and the other
        words found among a main term's subterms add a little (``low back strain`` puts Strain,
        which has the subterm "low back", first); then how much of the title the words cover,
        then the shorter title. A coder picks the main term from the
        condition's noun; this finds the candidates for that choice.
        """
        query = words_of(words if isinstance(words, str) else " ".join(words))
        if not query:
            return []
        scores: dict[int, float] = {}
        for word in query:
            exact = self._by_word.get(word, set())
            for i in exact:
                scores[i] = scores.get(i, 0.0) + 1.0
            for i in self._by_stem.get(stem(word), set()) - exact:
                scores[i] = scores.get(i, 0.0) + 0.75
        title_words = {i: set(words_of(self.main_terms[i].title)) for i in scores}
        for i in scores:
            # the other words among its subterms: "low back strain" finds Strain > low back
            others = [w for w in query if w not in title_words[i]]
            if others:
                below = {w for c in self.main_terms[i].children for w in words_of(c.title)}
                scores[i] += 0.25 * sum(1 for w in others if w in below)

        def rank(i: int) -> tuple[float, float, int, str]:
            t = self.main_terms[i].title
            covered = sum(1 for w in title_words[i] if w in query) / max(len(title_words[i]), 1)
            return (-scores[i], -covered, len(t), t.casefold())

        return [self.main_terms[i] for i in sorted(scores, key=rank)[:limit]]

    # -- look-up ------------------------------------------------------------------------------

    def lookup(self, main_term: str, *subterms: str, see_also: bool = False) -> Lookup | None:
        """Walk the index as a coder does; None when ``main_term`` is not a main term.

        From the main term, each step takes the subterm that matches one of the remaining query
        words: by its title, a form it lists ("uterus, uterine"), one of its nonessential
        modifiers, or else as the words of its title ("lumbar" -> "lumbar region"). Case, NEC
        and NOS do not matter; neither does the order of the query words, since the note's
        modifiers do not come in the index's order. Connecting subterms ("with", "in", "due to")
        are read through. Where the walk stops at an entry without a code that says "see", it
        follows the redirect (a path such as "Sprain, knee, collateral"; a "by site" in it takes
        the next query word that names a subterm there) and goes on with the words left. "See
        also" is followed only with ``see_also=True``, and only when it takes the walk further.
        """
        start = self.main_term(main_term)
        if start is None:
            return None
        return walk(self, start, main_term, list(subterms), see_also=see_also)

    def resolve(self, reference: str, words: Sequence[str] = ()) -> Resolution | None:
        """The entry a "see" or "see also" reference names (see ``lookup.resolve``)."""
        return resolve(self, reference, words)


_lock = threading.Lock()
_loaded: dict[str, AlphabeticIndex] = {}


def vendored_path(corpus_dir: Path) -> Path:
    """Where the repository keeps the FY2025 index (gzipped CSV)."""
    return corpus_dir / "alphabetic" / VENDORED_NAME


def get_alphabetic(xml_path: Path | None, corpus_dir: Path) -> AlphabeticIndex:
    """The process-wide index: the CDC XML at ``xml_path`` when given, else the vendored CSV."""
    path = xml_path if xml_path is not None else vendored_path(corpus_dir)
    key = str(path.resolve())
    with _lock:
        if key not in _loaded:
            loaded = (
                AlphabeticIndex.from_xml(path)
                if xml_path is not None
                else AlphabeticIndex.from_csv(path)
            )
            log.debug("loaded %s from %s", loaded.release.name, path)
            _loaded[key] = loaded
        return _loaded[key]
