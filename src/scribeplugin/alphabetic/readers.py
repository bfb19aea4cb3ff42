"""Reading the index: the CDC's XML (streamed with expat, so every problem names its line) and
the CSV flattening (``RowID, Letter, Level, Term, See, SeeAlso, NonEssModif, Code``)."""

from __future__ import annotations

import csv
import gzip
import io
import logging
import re
from pathlib import Path
from xml.parsers import expat

from scribeplugin.alphabetic.terms import IndexRelease, IndexTerm, parse_modifiers
from scribeplugin.errors import AlphabeticIndexError

log = logging.getLogger(__name__)

VENDORED_NAME = "icd10cm_index_fy2025.csv.gz"
CSV_COLUMNS = ("RowID", "Letter", "Level", "Term", "See", "SeeAlso", "NonEssModif", "Code")
_FISCAL_YEAR = re.compile(r"(?:fy|_|-)(20\d\d)\b", re.IGNORECASE)


class _Node:
    """A mutable entry while it is being read; frozen into an IndexTerm at its end tag."""

    __slots__ = (
        "children",
        "codes",
        "level",
        "line",
        "manif",
        "modifiers",
        "see",
        "see_also",
        "seecat",
        "subcat",
        "title",
    )

    def __init__(self, level: int, line: int) -> None:
        self.level = level
        self.line = line
        self.title: str | None = None
        self.modifiers: tuple[str, ...] = ()
        self.codes: list[str] = []
        self.manif: list[str] = []
        self.see: str | None = None
        self.see_also: str | None = None
        self.seecat: str | None = None
        self.subcat: str | None = None
        self.children: list[_Node] = []

    def freeze(self, parent_path: tuple[str, ...]) -> IndexTerm:
        title = self.title or ""
        name = title or " ".join(f"({m})" for m in self.modifiers)
        path = (*parent_path, name)
        return IndexTerm(
            title=title,
            modifiers=self.modifiers,
            code=self.codes[0] if self.codes else None,
            see=self.see,
            see_also=self.see_also,
            children=tuple(c.freeze(path) for c in self.children),
            path=path,
            more_codes=tuple(self.codes[1:]),
            manifestations=tuple(self.manif),
            see_category=self.seecat,
            subcategory=self.subcat,
            source_line=self.line,
        )


_TEXT_FIELDS = {"code", "see", "seeAlso", "manif", "seecat", "subcat", "version"}


class XmlReader:
    """Streams the CDC index XML with expat, so every problem names its line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._chars
        self.stack: list[str] = []
        self.nodes: list[_Node] = []
        self.mains: list[_Node] = []
        self.text: list[str] = []
        self.title_text: list[str] = []
        self.nemod_text: list[str] = []
        self.version: int | None = None
        self.root_title: str | None = None
        self.ignored: dict[str, int] = {}
        self.seen_root = False

    def read(self) -> tuple[list[IndexTerm], IndexRelease]:
        if not self.path.is_file():
            raise AlphabeticIndexError(
                f"ICD-10-CM index XML not found: {self.path}. Give the Index to Diseases and "
                "Injuries of a CDC release (icd10cm_index_<year>.xml, "
                "https://www.cdc.gov/nchs/icd/icd-10-cm/files.html) in SCRIBE_INDEX_XML_PATH."
            )
        try:
            with self.path.open("rb") as f:
                self.parser.ParseFile(f)
        except expat.ExpatError as exc:
            raise AlphabeticIndexError(
                f"{self.path}:{exc.lineno}: not well-formed XML "
                f"({expat.ErrorString(exc.code)}, column {exc.offset})."
            ) from exc
        if not self.seen_root:
            raise AlphabeticIndexError(f"{self.path}:1: empty document.")
        if not self.mains:
            raise AlphabeticIndexError(
                f"{self.path}: no <mainTerm> entries; is this the CDC index XML?"
            )
        for tag, line in self.ignored.items():
            log.debug("%s:%d: <%s> elements are not read", self.path, line, tag)
        release = IndexRelease(self.version, str(self.path), "xml")
        return [n.freeze(()) for n in self.mains], release

    def _fail(self, message: str) -> AlphabeticIndexError:
        return AlphabeticIndexError(f"{self.path}:{self.parser.CurrentLineNumber}: {message}")

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        line = self.parser.CurrentLineNumber
        parent = self.stack[-1] if self.stack else None
        if parent is None:
            if tag != "ICD10CM.index":
                raise self._fail(f"root element <{tag}>, expected <ICD10CM.index> (the CDC index)")
            self.seen_root = True
        elif tag == "mainTerm":
            if parent != "letter":
                raise self._fail("<mainTerm> outside a <letter>")
            node = _Node(0, line)
            self.mains.append(node)
            self.nodes.append(node)
        elif tag == "term":
            if parent not in {"mainTerm", "term"}:
                raise self._fail("<term> outside a <mainTerm>")
            owner = self.nodes[-1]
            level = self._level(attrs, owner.level + 1)
            node = _Node(level, line)
            owner.children.append(node)
            self.nodes.append(node)
        elif tag == "title":
            self.title_text, self.nemod_text = [], []
        elif tag == "nemod":
            if parent != "title":
                raise self._fail("<nemod> outside a <title>")
        elif tag in {"indexHeading", "cell"}:
            raise self._fail(
                f"<{tag}> belongs to the Neoplasm or Drug table, not the Index to Diseases and "
                "Injuries (icd10cm_index_<year>.xml)"
            )
        elif tag not in _TEXT_FIELDS and tag != "letter":
            self.ignored.setdefault(tag, line)
        self.stack.append(tag)
        self.text = []

    def _level(self, attrs: dict[str, str], expected: int) -> int:
        raw = attrs.get("level")
        if raw is None:
            return expected
        try:
            level = int(raw)
        except ValueError:
            raise self._fail(f'<term level="{raw}">: the level is not a number') from None
        if level != expected:
            raise self._fail(f'<term level="{level}"> inside a level {expected - 1} entry')
        return level

    def _chars(self, data: str) -> None:
        if not self.stack:
            return
        tag = self.stack[-1]
        if tag == "nemod":
            self.nemod_text.append(data)
        elif tag == "title":
            self.title_text.append(data)
        else:
            self.text.append(data)

    def _end(self, tag: str) -> None:
        self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        value = " ".join("".join(self.text).split())
        self.text = []
        if tag in {"mainTerm", "term"}:
            node = self.nodes.pop()
            if node.title is None:
                raise self._fail(f"<{tag}> without a <title>")
            return
        if tag == "title":
            title = " ".join("".join(self.title_text).split())
            if parent == "ICD10CM.index":
                self.root_title = title
                if "DISEASES" not in title.upper():
                    raise self._fail(
                        f"this is {title!r}, not the Index to Diseases and Injuries "
                        "(icd10cm_index_<year>.xml)"
                    )
            elif parent in {"mainTerm", "term"}:
                node = self.nodes[-1]
                node.title = title
                node.modifiers = parse_modifiers(" ".join(self.nemod_text))
            return
        if tag not in _TEXT_FIELDS:
            return
        if parent not in {"mainTerm", "term"}:
            if tag == "version" and parent == "ICD10CM.index" and value.isdigit():
                self.version = int(value)
            return
        node = self.nodes[-1]
        if not value:
            raise self._fail(f"empty <{tag}>")
        if tag == "code":
            node.codes.append(value)
        elif tag == "manif":
            node.manif.append(value)
        elif tag == "see":
            node.see = value
        elif tag == "seeAlso":
            node.see_also = value
        elif tag == "seecat":
            node.seecat = value
        elif tag == "subcat":
            node.subcat = value


def read_csv(path: Path) -> tuple[list[IndexTerm], IndexRelease]:
    if not path.is_file():
        raise AlphabeticIndexError(
            f"Alphabetic Index CSV not found: {path}. The repository vendors the FY2025 index as "
            f"corpus/alphabetic/{VENDORED_NAME}; restore it, or set SCRIBE_INDEX_XML_PATH to a "
            "CDC index XML."
        )
    try:
        raw = path.read_bytes()
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        text = data.decode("utf-8-sig")
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise AlphabeticIndexError(f"{path}: cannot read it as (gzipped) UTF-8 CSV: {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != CSV_COLUMNS:
        raise AlphabeticIndexError(
            f"{path}:1: expected the columns {', '.join(CSV_COLUMNS)}, found "
            f"{', '.join(header) if header else 'nothing'}."
        )
    mains: list[_Node] = []
    open_nodes: list[_Node] = []  # open_nodes[level] is the last entry read at that level
    width = len(CSV_COLUMNS)
    for row in reader:
        if len(row) != width:
            if not "".join(row).strip():
                continue
            raise AlphabeticIndexError(
                f"{path}:{reader.line_num}: {len(row)} columns, expected {width}."
            )
        level_text, term, see, see_also, nemod, code = row[2:]
        try:
            level = int(level_text)
        except ValueError:
            raise AlphabeticIndexError(
                f"{path}:{reader.line_num}: Level {level_text!r} is not a number."
            ) from None
        if level < 0 or level > len(open_nodes):
            where = f"under a level {len(open_nodes) - 1} entry" if open_nodes else "first"
            raise AlphabeticIndexError(
                f"{path}:{reader.line_num}: a level {level} entry {where}; each subterm must "
                "follow its parent, one level deeper."
            )
        node = _Node(level, reader.line_num)
        node.title = " ".join(term.split())
        node.modifiers = parse_modifiers(nemod)
        node.see = see.strip() or None
        node.see_also = see_also.strip() or None
        code = code.strip()
        if code:
            node.codes = [code]
        if level:
            open_nodes[level - 1].children.append(node)
        else:
            mains.append(node)
        del open_nodes[level:]
        open_nodes.append(node)
    if not mains:
        raise AlphabeticIndexError(f"{path}: no entries.")
    m = _FISCAL_YEAR.search(path.name)
    release = IndexRelease(int(m.group(1)) if m else None, str(path), "csv")
    return [n.freeze(()) for n in mains], release
