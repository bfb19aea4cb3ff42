"""The ``coding`` section of the knowledge files: how findings become ICD-10-CM codes.

Validated by pydantic and merged across files (a later file may add entries; defining the same
entry twice is an error naming both files). The coding engine (``scribeplugin.coding``) reads
it; the guard reads ``support`` and ``contradicted_by``; the corpus lint checks every code named.

Sections of ``coding`` (see ``corpus/knowledge/coding/*.yaml`` for the data and its comments):

- ``regions``: spinal region concept -> the phrase official descriptions use for it;
- ``support``: code prefix -> the finding concepts that can carry a code under it (the guard);
- ``contradicted_by``: a concept -> the concepts whose denial contradicts a quote of it;
- ``confirm``: an uncertain condition -> the category whose guidance its query cites;
- ``named``: conditions with a code of their own: concept -> code and careless alternatives;
- ``tables``: the code tables of the spine resolvers, one mapping per resolver (a key -> a code,
  a code stem, or a list of codes), each resolver declaring the keys it needs;
- ``explains_low_back``: code prefixes of diagnoses that explain low back pain and sciatica;
- ``groups``: named groups of concepts the resolvers treat alike;
- ``phrases``: named word lists (regular expressions matched as whole words, any case);
- ``limbs``: how a condition of a limb site is coded: per condition, its *routes* (the site,
  structure, digit or side it applies to and the Alphabetic Index path a coder takes, with the
  code that path gives, which the lint checks against the index), and per site the path of its
  pain code (what an uncertain diagnosis or an addressed symptom is coded as).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from scribeplugin.knowledge import KnowledgeError, Part, Sources, read_sources

_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")


def _code_like(v: str) -> str:
    if not v or not v[0].isupper() or not set(v) <= _CODE_CHARS:
        raise ValueError(f"{v!r} is not an ICD-10-CM code, code stem or pattern")
    return v


class Named(BaseModel):
    """A condition coded to one code of its own, whatever the region."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str
    naive: list[str] = Field(default_factory=list, description="careless alternatives")

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        return _code_like(v)

    @field_validator("naive")
    @classmethod
    def _codes(cls, v: list[str]) -> list[str]:
        return [_code_like(c) for c in v]


@dataclass(frozen=True, slots=True)
class Where:
    """What a finding documents that routes choose by: its site, structure, digit and side, the
    kinds named near it (``part``) and whether it is said to be nondisplaced."""

    site: str | None = None
    structure: str | None = None
    digit: str | None = None
    side: str | None = None
    parts: frozenset[str] = frozenset()
    nondisplaced: bool = False


class Route(BaseModel):
    """One way a limb condition is coded: when the finding has these (all optional) attributes,
    look up ``index`` (main term first, then subterms) in the Alphabetic Index; ``code`` is
    what that path gives (a trailing '-': more characters follow from the tabular list)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    site: str | None = None
    structure: str | None = None
    digit: str | None = None
    side: Literal["bilateral"] | None = None
    index: tuple[str, ...] = Field(min_length=1)
    code: str
    # the code is the whole part's, not one of its digits' ("pain in right foot", M79.671, not
    # "pain in right toe(s)"): the digit is then no open question
    whole: bool = False
    # the part of the bone a fracture is of ("shaft"), or the kind of a condition ("traumatic";
    # several: all of them): the route applies when the words of ``coding.phrases.part_<part>``
    # are read near the finding
    part: tuple[str, ...] = ()
    # the route applies only to a fracture described as nondisplaced (the index's
    # "nondisplaced" subterm, a category of its own: S62.35- beside S62.32-)
    nondisplaced: bool = False
    # what a careless coder picks instead on this route (M75.1- for a traumatic cuff tear):
    # lets the pitfall rules about it fire
    naive: tuple[str, ...] = ()

    @field_validator("naive")
    @classmethod
    def _naive(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_code_like(c) for c in v)

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        return _code_like(v)

    @field_validator("part", mode="before")
    @classmethod
    def _part(cls, v: Any) -> Any:
        return (v,) if isinstance(v, str) else v

    def matches(self, at: Where) -> bool:
        return (
            (self.site is None or self.site == at.site)
            and (self.structure is None or self.structure == at.structure)
            and (self.digit is None or self.digit == at.digit)
            and (self.side is None or self.side == at.side)
            and all(p in at.parts for p in self.part)
            and (not self.nondisplaced or at.nondisplaced)
        )

    @property
    def path(self) -> str:
        return " > ".join(self.index)

    def given_by(self, walked: str) -> bool:
        """Whether the index's code for the path is the route's: the same, or the unspecified
        code one character below it ("Dislocation, patella": S83.006), which the tabular list
        completes from the route's category (S83.00-: the right or left patella) as a coder
        does."""
        got, stated = walked.rstrip("-").rstrip("."), self.code.rstrip("-").rstrip(".")
        return got == stated or (got.startswith(stated) and len(got) == len(stated) + 1)


class LimbCondition(BaseModel):
    """A condition of a limb: its routes, most specific first, and whether it is an injury (its
    code takes the encounter's 7th character)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # none only for a treatment whose one code is its aftercare (a rotator cuff repair: the
    # repaired tear is not coded, the recovery after it is, Z47.89)
    routes: tuple[Route, ...] = ()
    injury: bool = False
    # coded only from the clinician's assessment: a sign an exam also names ("bruising",
    # "some effusion") or a status a visit may only mention ("how is your knee replacement?")
    assessed: bool = False
    # conditions at the same site this one's code replaces (a fragility fracture's M80.0- takes
    # the place of the fracture's S code)
    supersedes: tuple[str, ...] = ()
    # conditions whose sign this one is at the same site, even when they are only suspected:
    # a superficial injury is not coded beside a deeper injury of its site (I.C.19.b), and the
    # bruise over a suspected sprain is that sprain's sign, not a second diagnosis
    sign_of: tuple[str, ...] = ()
    # what a careless coder might pick instead (lets the pitfall rules about them fire)
    naive: tuple[str, ...] = ()
    # whether its code accounts for the pain of its site (a diagnosis does; an effusion, a sign
    # like the pain itself, does not: both are coded when no diagnosis there is confirmed)
    explains_pain: bool = True
    # a disease of the whole body, not of one joint (gout, rheumatoid arthritis): withheld as
    # uncertain, the pain it would explain is that of every site the clinician takes up
    systemic: bool = False
    # the code of a visit for the recovery after this condition's treatment (Z47.1 after a
    # joint replacement), coded before the condition's own when the route's kind
    # (``phrases.part_aftercare``: "post-op check", "three weeks after your knee replacement")
    # is said near it; not when a condition of ``aftercare_not_with`` is at its site (a fracture
    # treated by a replacement: its aftercare is the fracture's 7th character D, I.C.21.c.7)
    aftercare: Route | None = None
    aftercare_not_with: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _some_route(self) -> LimbCondition:
        if not (self.routes or self.aftercare):
            raise ValueError("a limb condition needs routes, or an aftercare route")
        return self

    def route(self, at: Where) -> Route | None:
        return next((r for r in self.routes if r.matches(at)), None)

    @property
    def parts(self) -> tuple[str, ...]:
        """The bone parts its routes tell apart ("shaft", "neck"), in route order."""
        return tuple(dict.fromkeys(p for r in self.all_routes for p in r.part))

    @property
    def all_routes(self) -> tuple[Route, ...]:
        """Its routes and its aftercare's."""
        return (*self.routes, self.aftercare) if self.aftercare else self.routes


class Limbs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pain: dict[str, Route] = Field(default_factory=dict)
    conditions: dict[str, LimbCondition] = Field(default_factory=dict)


class CodingSection(BaseModel):
    """One file's ``coding`` section; every part optional (a file may add only some)."""

    model_config = ConfigDict(extra="forbid")
    regions: dict[str, str] = Field(default_factory=dict)
    support: dict[str, list[str]] = Field(default_factory=dict)
    contradicted_by: dict[str, list[str]] = Field(default_factory=dict)
    confirm: dict[str, str] = Field(default_factory=dict)
    named: dict[str, Named] = Field(default_factory=dict)
    tables: dict[str, dict[str, str | list[str]]] = Field(default_factory=dict)
    explains_low_back: list[str] = Field(default_factory=list)
    groups: dict[str, list[str]] = Field(default_factory=dict)
    phrases: dict[str, list[str]] = Field(default_factory=dict)
    limbs: Limbs = Field(default_factory=Limbs)

    @field_validator("phrases")
    @classmethod
    def _compiles(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, words in v.items():
            try:
                re.compile("|".join(words))
            except re.error as exc:
                raise ValueError(f"phrases {name}: not a regular expression ({exc})") from exc
        return v

    @field_validator("support")
    @classmethod
    def _support_prefixes(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for prefix in v:
            _code_like(prefix)
        return v

    @field_validator("confirm")
    @classmethod
    def _confirm_codes(cls, v: dict[str, str]) -> dict[str, str]:
        return {k: _code_like(c) for k, c in v.items()}

    @field_validator("tables")
    @classmethod
    def _table_codes(
        cls, v: dict[str, dict[str, str | list[str]]]
    ) -> dict[str, dict[str, str | list[str]]]:
        for table in v.values():
            for value in table.values():
                for c in [value] if isinstance(value, str) else value:
                    _code_like(c)
        return v


class Table:
    """One resolver's code table: ``code(key)`` and ``codes(key)`` name the key they miss."""

    def __init__(self, name: str, data: Mapping[str, str | list[str]]) -> None:
        self.name, self.data = name, dict(data)

    def code(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise KnowledgeError(f"coding table {self.name}: {key} is a list, expected one code")
        return value

    def codes(self, key: str) -> list[str]:
        value = self._get(key)
        return [value] if isinstance(value, str) else list(value)

    def _get(self, key: str) -> str | list[str]:
        try:
            return self.data[key]
        except KeyError:
            raise KnowledgeError(f"coding table {self.name} has no {key!r}") from None


@dataclass
class CodingKnowledge:
    """Every ``coding`` section merged, and where each entry came from (for errors and lint)."""

    regions: dict[str, str] = field(default_factory=dict)
    support: dict[str, frozenset[str]] = field(default_factory=dict)
    contradicted_by: dict[str, frozenset[str]] = field(default_factory=dict)
    confirm: dict[str, str] = field(default_factory=dict)
    named: dict[str, Named] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    explains_low_back: tuple[str, ...] = ()
    groups: dict[str, frozenset[str]] = field(default_factory=dict)
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    pain: dict[str, Route] = field(default_factory=dict)  # limb site -> its pain code's route
    limb_conditions: dict[str, LimbCondition] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)  # "section:key" -> "file:line"

    @cached_property
    def region_named(self) -> dict[str, re.Pattern[str]]:
        """How an official description names a region ("..., lumbar region"; not "lumbar"
        inside "thoracolumbar region")."""
        return {
            region: re.compile(rf"(^|[ ,]){re.escape(phrase)}\b")
            for region, phrase in self.regions.items()
        }

    def group(self, name: str) -> frozenset[str]:
        try:
            return self.groups[name]
        except KeyError:
            raise KnowledgeError(f"no concept group {name!r} in coding.groups") from None

    def phrase(self, name: str) -> re.Pattern[str]:
        """The word list ``name`` as one case-insensitive whole-word pattern."""
        pattern = self._phrases.get(name)
        if pattern is None:
            if name not in self.phrases:
                raise KnowledgeError(f"no word list {name!r} in coding.phrases")
            pattern = re.compile(r"\b(" + "|".join(self.phrases[name]) + r")\b", re.IGNORECASE)
            self._phrases[name] = pattern
        return pattern

    _phrases: dict[str, re.Pattern[str]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_sources(cls, sources: Sources) -> CodingKnowledge:
        k = cls()
        low_back: list[str] = []
        for part in sources.section("coding"):
            section = _validate(part)
            where = f"{part.path}:{part.line}"
            k._merge("regions", section.regions, k.regions, where)
            k._merge(
                "support", {p: frozenset(c) for p, c in section.support.items()}, k.support, where
            )
            k._merge(
                "contradicted_by",
                {c: frozenset(v) for c, v in section.contradicted_by.items()},
                k.contradicted_by,
                where,
            )
            k._merge("confirm", section.confirm, k.confirm, where)
            k._merge("named", section.named, k.named, where)
            k._merge("tables", {n: Table(n, t) for n, t in section.tables.items()}, k.tables, where)
            low_back += section.explains_low_back
            k._merge(
                "groups", {g: frozenset(c) for g, c in section.groups.items()}, k.groups, where
            )
            k._merge("phrases", {n: tuple(w) for n, w in section.phrases.items()}, k.phrases, where)
            k._merge("pain", section.limbs.pain, k.pain, where)
            k._merge("limb_conditions", section.limbs.conditions, k.limb_conditions, where)
        k.explains_low_back = tuple(dict.fromkeys(low_back))
        k._derive_limb_support()
        return k

    def _derive_limb_support(self) -> None:
        """A limb condition carries the codes its routes lead to, limb pain the pain codes
        (unless the ``support`` table says otherwise for a prefix)."""
        derived: dict[str, set[str]] = {}
        for concept, limb in self.limb_conditions.items():
            for r in limb.all_routes:
                derived.setdefault(r.code.rstrip("-").rstrip("."), set()).add(concept)
        for route in self.pain.values():
            derived.setdefault(route.code.rstrip("-").rstrip("."), set()).add("limb_pain")
        for prefix, concepts in derived.items():
            self.support.setdefault(prefix, frozenset(concepts))

    def _merge(self, name: str, new: Mapping[str, Any], into: dict[str, Any], where: str) -> None:
        for key, value in new.items():
            tag = f"{name}:{key}"
            if key in into:
                raise KnowledgeError(
                    f"{where}: coding {name} {key!r} is defined twice (first at {self.origin[tag]})"
                )
            into[key] = value
            self.origin[tag] = where

    def table(self, name: str) -> Table:
        t = self.tables.get(name)
        if t is None:
            raise KnowledgeError(
                f"no coding table {name!r} in the knowledge files (corpus/knowledge/coding/)"
            )
        return t

    def codes(self) -> Iterable[tuple[str, str]]:
        """Every (code, where) the coding knowledge names, for the lint."""
        for prefix in self.support:
            if f"support:{prefix}" in self.origin:  # not the support derived from the routes
                yield prefix, self.origin[f"support:{prefix}"]
        for concept, code in self.confirm.items():
            yield code, self.origin[f"confirm:{concept}"]
        for concept, named in self.named.items():
            for code in [named.code, *named.naive]:
                yield code, self.origin[f"named:{concept}"]
        for name, table in self.tables.items():
            for value in table.data.values():
                for code in [value] if isinstance(value, str) else value:
                    yield code, self.origin[f"tables:{name}"]
        for site, route in self.pain.items():
            yield route.code, self.origin[f"pain:{site}"]
        for concept, limb in self.limb_conditions.items():
            routed = [c for r in limb.all_routes for c in (r.code, *r.naive)]
            for code in [*routed, *limb.naive]:
                yield code, self.origin[f"limb_conditions:{concept}"]

    def routes(self) -> Iterable[tuple[Route, str]]:
        """Every Alphabetic Index route of the limb knowledge, with where it is defined."""
        for site, route in self.pain.items():
            yield route, self.origin[f"pain:{site}"]
        for concept, limb in self.limb_conditions.items():
            for route in limb.all_routes:
                yield route, self.origin[f"limb_conditions:{concept}"]


def _validate(part: Part) -> CodingSection:
    try:
        return CodingSection.model_validate(part.data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(map(str, err["loc"])) or "coding"
        raise KnowledgeError(f"{part.path}:{part.line}: coding.{where}: {err['msg']}") from exc


@lru_cache(maxsize=8)
def load_coding(dirs: tuple[Path, ...]) -> CodingKnowledge:
    """The coding knowledge of ``dirs`` (cached: the files are read once per process)."""
    return CodingKnowledge.from_sources(read_sources(dirs))


def default_coding() -> CodingKnowledge:
    """The coding knowledge of the default settings (``corpus/knowledge`` and any extra)."""
    from scribeplugin.config import Settings

    return load_coding(tuple(Settings().knowledge_dirs))
