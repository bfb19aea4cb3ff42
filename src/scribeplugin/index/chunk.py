"""Chunks: the unit of retrieval, one per tabular item in scope, one per card item or summary,
and one per Alphabetic Index entry whose code is in scope ("Strain > low back -> S39.012").

A chunk id is the sha256 of its text, the text that is embedded and its sorted metadata, so the
same content always gets the same id and re-indexing is idempotent: a build embeds only ids the
collection does not hold yet and deletes ids nobody wants any more.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import yaml

from scribeplugin.codeset import CodeEntry, CodeSet, normalize
from scribeplugin.config import Scope
from scribeplugin.corpus.cards import Card, CardItem
from scribeplugin.errors import CorpusError

if TYPE_CHECKING:
    from scribeplugin.alphabetic import AlphabeticIndex, IndexTerm

ChunkKind = Literal["tabular", "tip", "pitfall", "context", "faq", "summary", "index"]
CHUNK_KINDS: tuple[str, ...] = get_args(ChunkKind)
MetaValue = str | int | bool
Metadata = Mapping[str, MetaValue]

# Which parts of the tabular list each scope indexes (blocks, categories or a chapter number).
SCOPE_ROOTS: dict[Scope, tuple[str, ...] | None] = {
    # Q76: congenital malformations of the spine (a transitional vertebra is Q76.49).
    Scope.spine: (
        "M40-M43",
        "M45-M49",
        "M50-M54",
        "S13",
        "S16",
        "S23",
        "S29",
        "S33",
        "S39",
        "Q76",
    ),
    # The orthopedic clinic: chapter 13, the injuries from the neck to the foot, the nerve
    # entrapments of the limbs (carpal and cubital tunnel), orthopedic aftercare (Z47: after a
    # joint replacement, a repair) and the surgical aftercare of a nerve's release (Z48.81-),
    # the replaced joint's status, psoriatic arthritis.
    Scope.musculoskeletal: (
        "13",
        "S10-S19",
        "S20-S29",
        "S30-S39",
        "S40-S49",
        "S50-S59",
        "S60-S69",
        "S70-S79",
        "S80-S89",
        "S90-S99",
        "G56",
        "G57",
        "Z47",
        "Z48.81",
        "Z96.6",
        "L40.5",
        "Q76",
    ),
    Scope.all: None,
}

_ITEM_LABELS = {
    "tip": "Documentation tip",
    "pitfall": "Pitfall",
    "context": "Clinical context",
    "faq": "FAQ",
}


@dataclass(frozen=True, slots=True)
class Chunk:
    """One retrievable passage with its provenance.

    ``text`` is what is stored and shown (and what BM25 reads); ``embed_text`` is what the
    embedding model sees, shorter for tabular items because long Excludes lists add noise.
    """

    id: str
    text: str
    embed_text: str
    metadata: Metadata

    @classmethod
    def make(cls, text: str, embed_text: str, metadata: Metadata) -> Chunk:
        return cls(chunk_id(text, embed_text, metadata), text, embed_text, dict(metadata))

    @property
    def code(self) -> str:
        return str(self.metadata["code"])

    @property
    def kind(self) -> str:
        return str(self.metadata["kind"])

    @property
    def item_id(self) -> str:
        return str(self.metadata["item_id"])

    @property
    def source(self) -> str:
        return str(self.metadata["source"])


def chunk_id(text: str, embed_text: str, metadata: Metadata) -> str:
    """sha256 of the text, the embedded text and the metadata with sorted keys."""
    payload = json.dumps(
        {"text": text, "embed_text": embed_text, "metadata": dict(metadata)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def scope_entries(codeset: CodeSet, scope: Scope) -> Iterator[CodeEntry]:
    """The tabular items a scope indexes, in tabular order, each once.

    A code with its 7th character (S83.241A, an "extended subcategory") is not an item of its
    own: the tabular list states everything about it at the code above it (S83.241: its title,
    notes and the 7th characters that apply), which is the chunk cited for it
    (:func:`cited_code`). That keeps the injury chapter's 45,000 such codes out of the index.
    """
    roots = SCOPE_ROOTS[scope]
    seen: set[str] = set()
    for root in roots or (None,):
        for entry in codeset.codes(under=root):
            if entry.kind != "extended subcategory" and entry.code not in seen:
                seen.add(entry.code)
                yield entry


def cited_code(codeset: CodeSet, code: str) -> str:
    """The code whose tabular chunk speaks for ``code``: itself, or for a code with its 7th
    character the code above it (:func:`scope_entries`)."""
    entry = codeset.get(code)
    if entry is not None and entry.kind == "extended subcategory" and entry.parent:
        return entry.parent
    return code


def _category(code: str, kind: str) -> str:
    return "" if kind in {"chapter", "block"} else normalize(code)[:3]


def _labelled(label: str, values: Iterable[str]) -> str:
    vals = [" ".join(v.split()) for v in values if v and v.strip()]
    return f"{label}: {'; '.join(vals)}" if vals else ""


def inherited_inclusion_terms(entry: CodeEntry, codeset: CodeSet) -> list[tuple[str, str]]:
    """(ancestor code, term) for the inclusion terms of the categories and subcategories above
    ``entry``: the tabular list states them once, and they hold for every code below."""
    out: list[tuple[str, str]] = []
    for code in codeset.ancestors(entry.code):
        ancestor = codeset.lookup(code)
        if ancestor.kind in {"chapter", "block"}:
            break
        out.extend((code, term) for term in ancestor.inclusion_terms)
    return out


def tabular_chunk(entry: CodeEntry, codeset: CodeSet) -> Chunk:
    """A tabular item: everything the list says about it, labelled; embeds the short part
    (code, description, inclusion terms including those stated above it, includes)."""
    head = f"{entry.code} {entry.description}"
    inherited = inherited_inclusion_terms(entry, codeset)
    parts = [
        head,
        _labelled("Inclusion terms", entry.inclusion_terms),
        *(
            _labelled(f"Inclusion terms of {code}", [t for c, t in inherited if c == code])
            for code in dict.fromkeys(c for c, _ in inherited)
        ),
        _labelled("Includes", entry.includes),
        _labelled("Notes", [entry.notes]),
        _labelled("Code first", [entry.code_first]),
        _labelled("Use additional code", [entry.use_additional]),
        _labelled("Code also", [entry.code_also]),
        _labelled("Excludes1", entry.excludes1),
        _labelled("Excludes2", entry.excludes2),
    ]
    text = "\n".join(p for p in parts if p)
    embed_text = "; ".join(
        [entry.description, *entry.inclusion_terms, *(t for _, t in inherited), *entry.includes]
    )
    metadata: dict[str, MetaValue] = {
        "code": entry.code,
        "kind": "tabular",
        "item_id": "",
        "source": "tabular",
        "code_set": codeset.release.name,
        "block": codeset.block(entry.code) or "",
        "category": _category(entry.code, entry.kind),
        "billable": entry.billable,
    }
    return Chunk.make(text, " ".join(embed_text.split()), metadata)


def card_chunks(card: Card, codeset: CodeSet) -> list[Chunk]:
    """The card summary and every tip, pitfall, context item and FAQ, each with its card code."""
    code = normalize(card.code)
    entry = codeset.get(code)
    base: dict[str, MetaValue] = {
        "code": code,
        "source": f"cards/{card.path.name}",
        "code_set": codeset.release.name,
        "block": (codeset.block(code) or "") if entry else "",
        "category": _category(code, entry.kind) if entry else code[:3],
        "billable": entry.billable if entry else card.meta.billable,
    }
    head = f"{code} {card.meta.title}"
    chunks: list[Chunk] = []
    if card.summary:
        text = f"{head}\n{card.summary}"
        embed = f"{card.meta.title}: {card.summary}"
        chunks.append(Chunk.make(text, embed, {**base, "kind": "summary", "item_id": ""}))
    for item in card.items:
        text = f"{head}\n{_item_text(item)}"
        embed = f"{card.meta.title}: {item.full_text}"
        chunks.append(Chunk.make(text, embed, {**base, "kind": item.kind, "item_id": item.id}))
    return chunks


def _item_text(item: CardItem) -> str:
    return f"{_ITEM_LABELS[item.kind]}: {item.full_text}"


def index_chunk(
    entry: IndexTerm, codeset: CodeSet, release: str, booked: Sequence[str] | None = None
) -> Chunk:
    """An Alphabetic Index entry with a code: ``Strain > low back -> S39.012``, then the
    nonessential modifiers along its path. ``booked`` is the path as the book prints it, each term
    with its modifiers (``Sprain (joint) (ligament)``, ``lumbar (spine)``); the model embeds that,
    BM25 reads the text.

    ``item_id`` is the path: it names the entry (a citation's ref is ``index:<path>``). ``code``
    is the tabular item the entry points to, without the index's trailing ``-``;
    ``index_code`` keeps the code as the index gives it.
    """
    if entry.code is None or entry.code_stem is None:
        raise ValueError(f"index entry {entry.path_text!r} has no code")
    booked = list(booked or entry.path)
    code = normalize(entry.code_stem)
    item = codeset.lookup(code)
    text = f"{entry.path_text} -> {entry.code}"
    modified = [b for b, name in zip(booked, entry.path, strict=True) if b != name]
    if modified:
        text += f"\nNonessential modifiers: {'; '.join(modified)}"
    metadata: dict[str, MetaValue] = {
        "code": code,
        "kind": "index",
        "item_id": entry.path_text,
        "source": "alphabetic",
        "code_set": codeset.release.name,
        "index_release": release,
        "index_code": entry.code,
        "block": codeset.block(code) or "",
        "category": _category(code, item.kind),
        "billable": item.billable,
    }
    return Chunk.make(text, ", ".join(booked), metadata)


def index_chunks(alphabetic: AlphabeticIndex, codeset: CodeSet, in_scope: set[str]) -> list[Chunk]:
    """A chunk per index entry whose code is a tabular item in ``in_scope``, in index order."""
    release = alphabetic.release.name
    out: list[Chunk] = []

    def visit(term: IndexTerm, above: tuple[str, ...]) -> None:
        booked = (*above, " ".join([term.name, *(f"({m})" for m in term.modifiers if term.title)]))
        if term.code_stem and normalize(term.code_stem) in in_scope:
            out.append(index_chunk(term, codeset, release, booked))
        for child in term.children:
            visit(child, booked)

    for main in alphabetic.main_terms:
        visit(main, ())
    return out


def build_chunks(
    codeset: CodeSet,
    cards: Iterable[Card],
    scope: Scope,
    alphabetic: AlphabeticIndex | None = None,
) -> list[Chunk]:
    """Every chunk of a scope: tabular items first (tabular order), then cards (by code), then
    the Alphabetic Index entries whose code the scope holds (index order)."""
    entries = list(scope_entries(codeset, scope))
    chunks = [tabular_chunk(e, codeset) for e in entries]
    for card in cards:
        chunks.extend(card_chunks(card, codeset))
    if alphabetic is not None:
        chunks.extend(index_chunks(alphabetic, codeset, {e.code for e in entries}))
    unique: dict[str, Chunk] = {}
    for c in chunks:
        unique.setdefault(c.id, c)
    return list(unique.values())


def corpus_fingerprint(chunk_ids: Iterable[str]) -> str:
    """sha256 of the sorted chunk ids: equal fingerprints mean equal index contents."""
    h = hashlib.sha256()
    for cid in sorted(chunk_ids):
        h.update(cid.encode("ascii"))
        h.update(b"\n")
    return h.hexdigest()


def read_corpus_version(corpus_dir: Path) -> str:
    """The ``version`` of ``corpus/corpus.yaml``; it goes into the collection name."""
    path = corpus_dir / "corpus.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorpusError(
            f"No {path}. The corpus folder needs a corpus.yaml with a version, e.g. 'version: 1'."
        ) from None
    except yaml.YAMLError as exc:
        raise CorpusError(f"{path} is not valid YAML: {exc}") from exc
    version = data.get("version") if isinstance(data, dict) else None
    if version is None or not str(version).strip():
        raise CorpusError(f"{path} has no 'version'; add one, e.g. 'version: 1'.")
    return str(version).strip()
