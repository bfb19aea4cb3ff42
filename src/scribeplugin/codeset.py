"""The ICD-10-CM tabular list: lookup, billable status, hierarchy, notes, excludes, 7th characters.

The data comes from the CDC tabular XML and code list that ship inside ``simple-icd-10-cm``
(April 1, 2026 update), or from a CDC release given by path. The library parses the XML; this
module takes one immutable snapshot of every item so that lookups are plain dict reads
(microseconds) and several releases can live side by side in one process.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from scribeplugin.errors import CodeSetError, UnknownCodeError

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_RELEASE_DATE = re.compile(rf"({'|'.join(_MONTHS)})-(\d{{1,2}})-(\d{{4}})", re.IGNORECASE)
_CODE_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")

# simple_icd_10_cm keeps one release in module globals; switching releases must not interleave.
_LIBRARY_LOCK = threading.Lock()
_library_release: tuple[str, str] | None = None  # paths loaded in the library; None = packaged


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """One item of the tabular list (chapter, block, category, subcategory or 7th-char code)."""

    code: str
    description: str
    kind: str  # chapter | block | category | subcategory | extended subcategory
    billable: bool
    parent: str | None
    children: tuple[str, ...]
    inclusion_terms: tuple[str, ...]
    includes: tuple[str, ...]
    excludes1: tuple[str, ...]
    excludes2: tuple[str, ...]
    code_first: str
    use_additional: str
    code_also: str
    notes: str
    seventh_characters: tuple[tuple[str, str], ...]  # inherited from ancestors, as the list says
    seventh_character_note: str

    @property
    def requires_seventh_character(self) -> bool:
        """True for a category that needs a 7th character to be billable (S33.5 -> S33.5XXA)."""
        return bool(self.seventh_characters) and self.kind != "extended subcategory"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "description": self.description,
            "kind": self.kind,
            "billable": self.billable,
            "parent": self.parent,
            "children": list(self.children),
            "inclusion_terms": list(self.inclusion_terms),
            "includes": list(self.includes),
            "excludes1": list(self.excludes1),
            "excludes2": list(self.excludes2),
            "code_first": self.code_first,
            "use_additional": self.use_additional,
            "code_also": self.code_also,
            "notes": self.notes,
            "seventh_characters": dict(self.seventh_characters),
            "seventh_character_note": self.seventh_character_note,
        }


@dataclass(frozen=True, slots=True)
class Release:
    """Which ICD-10-CM release is in use; every output names it."""

    fiscal_year: int
    label: str  # e.g. "April 1, 2026 update"
    source: str  # "simple-icd-10-cm 1.5.0 (packaged)" or the XML path

    @property
    def name(self) -> str:
        return f"ICD-10-CM FY{self.fiscal_year} ({self.label})"

    @property
    def valid_from(self) -> date:
        return date(self.fiscal_year - 1, 10, 1)

    @property
    def valid_through(self) -> date:
        return date(self.fiscal_year, 9, 30)

    def date_of_service_warning(self, date_of_service: date) -> str | None:
        """Explain when a visit date falls outside the fiscal year this release covers."""
        if date_of_service > self.valid_through:
            fy = date_of_service.year + (1 if date_of_service.month >= 10 else 0)
            return (
                f"Date of service {date_of_service.isoformat()} falls in FY{fy}, but the code set "
                f"in use is {self.name}, valid through {self.valid_through.isoformat()}. Load the "
                f"FY{fy} CDC release (SCRIBE_CODE_LIST_PATH and SCRIBE_TABULAR_XML_PATH) and "
                "rebuild the index."
            )
        if date_of_service < self.valid_from:
            return (
                f"Date of service {date_of_service.isoformat()} is before {self.name} took effect "
                f"({self.valid_from.isoformat()}); codes valid then may differ."
            )
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "fiscal_year": self.fiscal_year,
            "label": self.label,
            "source": self.source,
            "valid_from": self.valid_from.isoformat(),
            "valid_through": self.valid_through.isoformat(),
        }


def normalize(code: str) -> str:
    """``m5387`` / ``M53.87`` / `` M53.87 `` -> ``M53.87``; blocks (``M50-M54``) pass through."""
    c = code.strip().upper()
    if "-" in c[1:] and len(c) == 7:  # a block such as M50-M54
        return c
    c = c.replace(".", "")
    return c if len(c) <= 3 else f"{c[:3]}.{c[3:]}"


class CodeSet:
    """An immutable view of one ICD-10-CM release. Build with ``packaged()`` or ``from_release``."""

    def __init__(self, entries: dict[str, CodeEntry], chapters: list[str], release: Release):
        self._entries = entries
        self._chapters = chapters
        self.release = release

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def packaged(cls) -> CodeSet:
        """The release shipped in ``simple-icd-10-cm`` (April 1, 2026 update)."""
        cm = _import_library()

        xml_name = cm._classification_data_package_file_name
        label = _label_from_filename(xml_name)
        version = _packaged_version()
        source = f"simple-icd-10-cm {version} ({xml_name})"
        return cls._snapshot(None, source=source, label=label)

    @classmethod
    def from_release(cls, code_list: Path, tabular_xml: Path) -> CodeSet:
        """A CDC ICD-10-CM release: the code list (``icd10cm-codes-*.txt``) and tabular XML."""
        for p in (code_list, tabular_xml):
            if not p.is_file():
                raise CodeSetError(
                    f"ICD-10-CM release file not found: {p}. Give the code list and the tabular "
                    "XML of a CDC release (https://www.cdc.gov/nchs/icd/icd-10-cm/files.html)."
                )
        label = _label_from_filename(tabular_xml.name)
        return cls._snapshot(
            (str(code_list), str(tabular_xml)), source=str(tabular_xml), label=label
        )

    @classmethod
    def _snapshot(cls, paths: tuple[str, str] | None, *, source: str, label: str) -> CodeSet:
        cm = _import_library()

        global _library_release
        with _LIBRARY_LOCK:
            if paths != _library_release:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        if paths is None:
                            cm.change_version()
                        else:
                            cm.change_version(paths[0], paths[1])
                except Exception as exc:  # the library raises bare parse errors
                    raise CodeSetError(
                        f"Could not parse the ICD-10-CM release {source}: {exc}. Check that the "
                        "files are a CDC code list and tabular XML of the same release."
                    ) from exc
                _library_release = paths
            fiscal_year = _fiscal_year_of(paths[1] if paths else None)
            entries: dict[str, CodeEntry] = {}
            chapters: list[str] = []
            for node in cm._chapter_list:
                chapters.append(node.name)
                _walk(node, None, entries)
        if not label:
            label = f"FY{fiscal_year} release"
        return cls(entries, chapters, Release(fiscal_year, label, source))

    # -- lookup -------------------------------------------------------------------------------

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and normalize(code) in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, code: str) -> CodeEntry | None:
        """The entry for a code given with or without its dot, or None."""
        return self._entries.get(normalize(code))

    def lookup(self, code: str) -> CodeEntry:
        """The entry for a code; ``UnknownCodeError`` with the nearest valid codes otherwise."""
        entry = self.get(code)
        if entry is None:
            raise UnknownCodeError(code, self.nearest(code))
        return entry

    def is_billable(self, code: str) -> bool:
        entry = self.get(code)
        return entry is not None and entry.billable

    def description(self, code: str) -> str:
        return self.lookup(code).description

    def parent(self, code: str) -> str | None:
        return self.lookup(code).parent

    def children(self, code: str) -> tuple[str, ...]:
        return self.lookup(code).children

    def ancestors(self, code: str) -> list[str]:
        """Parent first, chapter last."""
        out: list[str] = []
        parent = self.lookup(code).parent
        while parent is not None:
            out.append(parent)
            parent = self._entries[parent].parent
        return out

    def descendants(self, code: str) -> list[str]:
        out: list[str] = []
        stack = list(reversed(self.lookup(code).children))
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(reversed(self._entries[c].children))
        return out

    def billable_descendants(self, code: str) -> list[str]:
        entry = self.lookup(code)
        if entry.billable:
            return [entry.code]
        return [c for c in self.descendants(code) if self._entries[c].billable]

    def chapter(self, code: str) -> str:
        return ([self.lookup(code).code, *self.ancestors(code)])[-1]

    def block(self, code: str) -> str | None:
        """The block (section) such as ``M50-M54`` that holds the code."""
        for c in [normalize(code), *self.ancestors(code)]:
            if self._entries[c].kind == "block":
                return c
        return None

    def is_descendant(self, code: str, ancestor: str) -> bool:
        return normalize(ancestor) in self.ancestors(code)

    def nearest(self, code: str, n: int = 5) -> list[str]:
        """Billable codes under the longest valid prefix of ``code`` (for error messages)."""
        c = normalize(code).replace(".", "")
        if not c or (not _CODE_SHAPE.match(normalize(code)) and len(c) < 3):
            return []
        for end in range(len(c), 2, -1):
            prefix = normalize(c[:end])
            if prefix in self._entries:
                return self.billable_descendants(prefix)[:n]
        return []

    def codes(self, under: str | None = None) -> Iterator[CodeEntry]:
        """Every entry in tabular order, or the entry ``under`` and its descendants."""
        if under is None:
            for chapter in self._chapters:
                yield self._entries[chapter]
                for c in self.descendants(chapter):
                    yield self._entries[c]
        else:
            yield self.lookup(under)
            for c in self.descendants(under):
                yield self._entries[c]

    @cached_property
    def billable_count(self) -> int:
        return sum(1 for e in self._entries.values() if e.billable)


def _import_library() -> Any:
    """Import simple_icd_10_cm (it parses the packaged XML at import), muting its warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from simple_icd_10_cm import simple_icd_10_cm as cm
    return cm


def _walk(node: Any, parent: str | None, entries: dict[str, CodeEntry]) -> None:
    """Copy one library node and its subtree into ``entries``, inheriting 7th-character rules."""
    kind = _kind(node)
    name = _key(node)
    seven: dict[str, str] = node.seven_chr_def or (
        node.seven_chr_def_ancestor.seven_chr_def if node.seven_chr_def_ancestor else {}
    )
    seven_note: str = node.seven_chr_note or (
        node.seven_chr_note_ancestor.seven_chr_note if node.seven_chr_note_ancestor else ""
    )
    entries[name] = CodeEntry(
        code=name,
        description=node.description,
        kind=kind,
        billable=not node.children and kind not in {"chapter", "block"},
        parent=parent,
        children=tuple(_key(child) for child in node.children),
        inclusion_terms=tuple(node.inclusion_term),
        includes=tuple(node.includes),
        excludes1=tuple(node.excludes1),
        excludes2=tuple(node.excludes2),
        code_first=node.code_first,
        use_additional=node.use_additional_code,
        code_also=node.code_also,
        notes=node.notes,
        seventh_characters=tuple(sorted(seven.items())),
        seventh_character_note=seven_note,
    )
    for child in node.children:
        _walk(child, name, entries)


def _kind(node: Any) -> str:
    kind: str = node.type
    return {"section": "block"}.get(kind, kind)


def _key(node: Any) -> str:
    """A few blocks hold one category and share its name (B99); such a block is B99-B99."""
    name: str = node.name
    return f"{name}-{name}" if _kind(node) == "block" and "-" not in name else name


def _label_from_filename(name: str) -> str:
    m = _RELEASE_DATE.search(name)
    if not m:
        return ""
    month = next(mo for mo in _MONTHS if mo.lower() == m.group(1).lower())
    return f"{month} {int(m.group(2))}, {m.group(3)} update"


def _fiscal_year_of(xml_path: str | None) -> int:
    """The ``<version>`` element of the tabular XML is the fiscal year (e.g. 2026)."""
    import xml.etree.ElementTree as ET

    if xml_path is None:
        from importlib import resources

        cm = _import_library()

        text = (resources.files(cm.data) / cm._classification_data_package_file_name).open(
            encoding="utf-8"
        )
    else:
        text = Path(xml_path).open(encoding="utf-8")  # noqa: SIM115 - closed by the with below
    with text:
        for _, elem in ET.iterparse(text, events=("end",)):
            if elem.tag == "version":
                try:
                    return int((elem.text or "").strip())
                except ValueError:
                    break
    raise CodeSetError(f"No <version> year in the tabular XML ({xml_path or 'packaged'}).")


def _packaged_version() -> str:
    from importlib.metadata import version

    return version("simple-icd-10-cm")


_default_lock = threading.Lock()
_default: CodeSet | None = None


def get_codeset(code_list: Path | None = None, tabular_xml: Path | None = None) -> CodeSet:
    """The process-wide code set: the packaged release, or the CDC release given by path."""
    global _default
    if code_list is not None and tabular_xml is not None:
        return _release_cache(str(code_list), str(tabular_xml))
    with _default_lock:
        if _default is None:
            _default = CodeSet.packaged()
        return _default


_release_sets: dict[tuple[str, str], CodeSet] = {}


def _release_cache(code_list: str, tabular_xml: str) -> CodeSet:
    with _default_lock:
        key = (code_list, tabular_xml)
        if key not in _release_sets:
            _release_sets[key] = CodeSet.from_release(Path(code_list), Path(tabular_xml))
        return _release_sets[key]
