"""The checks of the extraction knowledge: each file validated, all merged, every reference found.

:func:`check` validates each section of each file with the models of ``knowledge.extraction``,
merges them in file order (defining a concept, word list, target, label set or rule again is an
error naming both places), then checks every reference: concepts, word lists (``@NAME``), label
sets (``$name``), callbacks (:data:`~scribeplugin.knowledge.extraction.CALLBACKS`), the regexes
and notation of every pattern, and that no pattern is given twice. Every problem is an
:class:`~scribeplugin.knowledge.lines.Issue` with its ``file:line``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scribeplugin.knowledge import KnowledgeError, Part, Sources, read_sources
from scribeplugin.knowledge.extraction import (
    CALLBACKS,
    REQUIRED_CONCEPTS,
    REQUIRED_VOCABULARY,
    Category,
    Concept,
    ContextSection,
    ExtractionKnowledge,
    Target,
    Veto,
    joined,
    medspacy_default_rules_path,
)
from scribeplugin.knowledge.lines import Issue, Where

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_WORD_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_REF = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)")


def check(dirs: Iterable[Path]) -> tuple[ExtractionKnowledge | None, list[Issue]]:
    """The merged knowledge (None when a file does not validate) and every problem found."""
    try:
        sources = read_sources(list(dirs))
    except KnowledgeError as exc:
        return None, [_issue_of(exc)]
    return _Merger(sources).run()


def _issue_of(exc: KnowledgeError) -> Issue:
    m = re.match(r"^(.+?):(\d+): (.*)$", str(exc), re.DOTALL)
    if m is None:
        path, _, msg = str(exc).partition(": ")
        return Issue(path, 1, msg)
    return Issue(m.group(1), int(m.group(2)), m.group(3))


class _Merger:
    """Validates each part, merges them in order, then checks every reference."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources
        self.k = ExtractionKnowledge(files=tuple(sources.files))
        self.issues: list[Issue] = []

    def run(self) -> tuple[ExtractionKnowledge | None, list[Issue]]:
        for part in self.sources.section("vocabulary"):
            self._each(part, "vocabulary", self._vocabulary)
        for part in self.sources.section("concepts"):
            self._each(part, "concepts", self._concept)
        for part in self.sources.section("targets"):
            self._each(part, "targets", self._target)
        for part in self.sources.section("context"):
            self._context(part)
        if self.issues:
            return None, self.issues  # references are checked on valid files only
        self.issues.extend(_References(self.k).check())
        return self.k, self.issues

    def _each(self, part: Part, section: str, add: Any) -> None:
        if not isinstance(part.data, dict):
            self.issues.append(Issue(str(part.path), part.line, f"{section}: expected a mapping"))
            return
        for name, value in part.data.items():
            add(str(name), value, Where(part.path, (section, name)))

    def _invalid(self, where: Where, exc: ValidationError) -> None:
        for err in exc.errors():
            loc = tuple(x for x in err["loc"] if isinstance(x, str | int))
            at = Where(where.path, where.keys + loc)
            dotted = ".".join(str(x) for x in where.keys[1:] + loc)
            self.issues.append(at.issue(f"{where.keys[0]} {dotted}: {err['msg']}"))

    def _defined(self, keys: tuple[str | int, ...], where: Where, what: str) -> bool:
        if keys in self.k.where:
            self.issues.append(where.issue(f"{what} is already defined at {self.k.where[keys]}"))
            return True
        self.k.where[keys] = where
        return False

    def _vocabulary(self, name: str, value: Any, where: Where) -> None:
        value = joined(value)
        if not _WORD_NAME.match(name):
            self.issues.append(where.issue(f"vocabulary name {name!r}: use UPPER_CASE"))
        elif not isinstance(value, str) or not value:
            self.issues.append(where.issue(f"vocabulary {name}: a string or a list of strings"))
        elif not self._defined(("vocabulary", name), where, f"vocabulary {name}"):
            self.k.vocabulary[name] = value

    def _concept(self, name: str, value: Any, where: Where) -> None:
        if not _NAME.match(name):
            self.issues.append(where.issue(f"concept {name!r}: use lower_case_with_underscores"))
            return
        try:
            data = {**value, "id": name} if isinstance(value, dict) else value
            concept = Concept.model_validate(data)
        except ValidationError as exc:
            self._invalid(where, exc)
            return
        if not self._defined(("concepts", name), where, f"concept {name}"):
            self.k.concepts[name] = concept

    def _target(self, name: str, value: Any, where: Where) -> None:
        if not _NAME.match(name):
            self.issues.append(where.issue(f"target {name!r}: use lower_case_with_underscores"))
            return
        try:
            target = Target.model_validate(value).model_copy(update={"name": name})
        except ValidationError as exc:
            self._invalid(where, exc)
            return
        if not self._defined(("targets", name), where, f"target {name}"):
            self.k.targets[name] = target
            bare = isinstance(value, list)
            for i in range(len(target.patterns)):
                keys = ("targets", name, i) if bare else ("targets", name, "patterns", i)
                self.k.where[("targets", name, "patterns", i)] = Where(where.path, keys)
            for i in range(len(target.veto)):
                at = Where(where.path, (*where.keys, "veto", i))
                self.k.where[("targets", name, "veto", i)] = at

    def _context(self, part: Part) -> None:
        where = Where(part.path, ("context",))
        try:
            section = ContextSection.model_validate(part.data)
        except ValidationError as exc:
            self._invalid(where, exc)
            return
        for name, ls in section.label_sets.items():
            at = Where(part.path, ("context", "label_sets", name))
            if not self._defined(("label_sets", name), at, f"label set ${name}"):
                self.k.label_sets[name] = ls
        for cat, ends in section.terminating.items():
            at = Where(part.path, ("context", "terminating", cat))
            if not self._defined(("terminating", cat), at, f"terminating types of {cat}"):
                self.k.terminating[cat] = tuple(ends)
        for i, change in enumerate(section.defaults):
            self.k.where[("defaults", len(self.k.defaults))] = Where(
                part.path, ("context", "defaults", i)
            )
            self.k.defaults.append(change)
        for i, rule in enumerate(section.rules):
            at = Where(part.path, ("context", "rules", i))
            if not self._defined(("rules", rule.literal), at, f"context rule {rule.literal!r}"):
                self.k.where[("rules", len(self.k.context_rules))] = at
                self.k.context_rules.append(rule)


class _References:
    """Every name the merged knowledge uses must exist; every pattern must compile, once."""

    def __init__(self, k: ExtractionKnowledge) -> None:
        self.k = k

    def check(self) -> Iterator[Issue]:
        yield from self._required()
        yield from self._vocabulary()
        yield from self._concepts()
        yield from self._targets()
        yield from self._context()

    def _where(self, *keys: str | int) -> Where:
        return self.k.where[keys]

    def _first_where(self) -> Where:
        return next(iter(self.k.where.values()))

    def _required(self) -> Iterator[Issue]:
        anywhere = self._first_where() if self.k.where else None
        for name in REQUIRED_VOCABULARY:
            if name not in self.k.vocabulary and anywhere is not None:
                message = f"vocabulary {name} is missing (the engines use it)"
                yield Issue(str(anywhere.path), 1, message)
        for cid, cat in REQUIRED_CONCEPTS.items():
            concept = self.k.concepts.get(cid)
            if concept is None and anywhere is not None:
                yield Issue(str(anywhere.path), 1, f"concept {cid} is missing (the engines use it)")
            elif concept is not None and concept.category != cat:
                yield self._where("concepts", cid).issue(f"concept {cid} must be a {cat}")

    def _vocabulary(self) -> Iterator[Issue]:
        for name, value in self.k.vocabulary.items():
            where = self._where("vocabulary", name)
            if value.startswith("re:"):
                yield from _regex_issue(where, value, f"vocabulary {name}")
            elif "@" in value:
                yield where.issue(f"vocabulary {name}: a word list cannot name another (@...)")

    def _concepts(self) -> Iterator[Issue]:
        for cid, c in self.k.concepts.items():
            where = self._where("concepts", cid)
            if c.own_region is not None:
                region = self.k.concepts.get(c.own_region)
                if region is None or region.category != Category.region:
                    yield where.issue(f"concept {cid}: own_region {c.own_region} is not a region")
            place_only = {"spine": c.spine, "roots": c.roots}
            for attr, value in place_only.items():
                if value is not None and c.category != Category.region:
                    yield where.issue(f"concept {cid}: {attr} is for region concepts")
            if c.named_by is not None:
                if c.category not in (Category.region, Category.laterality):
                    yield where.issue(f"concept {cid}: named_by is for regions and sides")
                yield from _regex_issue(where, c.named_by, f"concept {cid} named_by")
            if c.travels and c.category != Category.structure:
                yield where.issue(f"concept {cid}: travels is for structures")
            yield from self._site_refs(cid, c, where)
            if c.min_days is not None and cid != "chronic":
                yield where.issue(f"concept {cid}: min_days is for the chronic concept")
        if self.k.concepts.get("chronic") and self.k.concepts["chronic"].min_days is None:
            yield self._where("concepts", "chronic").issue("concept chronic needs min_days")

    def _site_refs(self, cid: str, c: Concept, where: Where) -> Iterator[Issue]:
        """``sited`` is for conditions and symptoms; a structure or digit names its site."""
        if c.sited and c.category not in (Category.condition, Category.symptom):
            yield where.issue(f"concept {cid}: sited is for conditions and symptoms")
        if c.category in (Category.structure, Category.digit):
            site = self.k.concepts.get(c.site) if c.site else None
            if site is None or site.category != Category.site:
                yield where.issue(f"concept {cid}: a {c.category} needs site: a site concept")
        elif c.site is not None:
            yield where.issue(f"concept {cid}: site is for structures and digits")

    def _concept_ref(self, where: Where, name: str, what: str) -> Iterator[Issue]:
        if name not in self.k.concepts:
            yield where.issue(f"{what}: unknown concept {name!r}{_near(name, self.k.concepts)}")

    def _callback(self, where: Where, kind: str, name: str | None) -> Iterator[Issue]:
        if name is not None and name not in CALLBACKS[kind]:
            known = ", ".join(sorted(CALLBACKS[kind]))
            yield where.issue(f"unknown {kind} callback {name!r}; known: {known}")

    def _refs(self, where: Where, text: str, what: str) -> Iterator[Issue]:
        for ref in _REF.findall(text):
            if ref not in self.k.vocabulary:
                near = _near(ref, self.k.vocabulary)
                yield where.issue(f"{what}: unknown word list @{ref}{near}")

    def _pattern(self, where: Where, spec: str, what: str) -> Iterator[Issue]:
        problems = list(self._refs(where, spec, what))
        if problems:
            yield from problems
            return
        for tok in self.k.pattern(spec):
            rx = tok.get("LOWER", {})
            if isinstance(rx, dict) and "REGEX" in rx:
                yield from _regex_issue(where, "re:" + rx["REGEX"], what)

    def _targets(self) -> Iterator[Issue]:
        seen: dict[str, tuple[str, Where]] = {}
        for name, t in self.k.targets.items():
            where = self._where("targets", name)
            if name not in self.k.concepts and t.split is None and t.resolve is None:
                yield where.issue(
                    f"target {name}: unknown concept{_near(name, self.k.concepts)} (a target is a "
                    "concept id, or has split or resolve)"
                )
            yield from self._callback(where, "resolve", t.resolve)
            if t.negated_by is not None:
                yield from self._refs(where, t.negated_by, f"target {name} negated_by")
            if t.split is not None:
                for cid in [*t.split.into, *t.split.first_after.values()]:
                    yield from self._concept_ref(where, cid, f"target {name} split")
                for words in [t.split.at, *t.split.first_after]:
                    yield from self._refs(where, words, f"target {name} split")
            for i, spec in enumerate(t.patterns):
                at = self._where("targets", name, "patterns", i)
                problems = list(self._pattern(at, spec, f"target {name}"))
                yield from problems
                if problems:
                    continue
                key = json.dumps(self.k.pattern(spec), sort_keys=True)
                if key in seen:
                    other, other_at = seen[key]
                    yield at.issue(
                        f"target {name}: duplicate pattern {spec!r} (also in {other} at {other_at})"
                    )
                else:
                    seen[key] = (name, at)
            for i, veto in enumerate(t.veto):
                yield from self._veto(self._where("targets", name, "veto", i), name, veto)

    def _veto(self, where: Where, name: str, veto: Veto) -> Iterator[Issue]:
        what = f"target {name} veto"
        yield from self._callback(where, "veto", veto.callback)
        concept = self.k.concepts.get(name)
        if veto.unsited and (concept is None or not concept.sited):
            yield where.issue(f"{what}: unsited is for the targets of sited concepts")
        for words in (veto.previous, veto.previous_not, veto.next, veto.next_not):
            if words is not None:
                yield from self._refs(where, words, what)
        for ref in [*veto.unit_matches, *veto.unit_lacks]:
            if ref.startswith("@"):
                value = self.k.vocabulary.get(ref[1:])
                if value is None:
                    near = _near(ref[1:], self.k.vocabulary)
                    yield where.issue(f"{what}: unknown word list {ref}{near}")
                elif not value.startswith("re:"):
                    yield where.issue(f"{what}: {ref} is a word list, not a regex (re:...)")
            elif ref.startswith("re:"):
                yield from _regex_issue(where, ref, what)
            else:
                yield where.issue(f"{what}: {ref!r} is neither @NAME nor re:...")

    def _selector(
        self, where: Where, field: str, names: list[str] | None, what: str
    ) -> Iterator[Issue]:
        where = Where(where.path, (*where.keys, field))
        for name in names or []:
            if name.startswith("$"):
                if name[1:] not in self.k.label_sets:
                    near = _near(name[1:], self.k.label_sets)
                    yield where.issue(f"{what}: unknown label set {name}{near}")
            elif name not in self.k.concepts and name not in self.k.targets:
                yield where.issue(f"{what}: unknown concept {name!r}{_near(name, self.k.concepts)}")

    def _context(self) -> Iterator[Issue]:
        for name, ls in self.k.label_sets.items():
            for cid in ls.concepts:
                where = self._where("label_sets", name)
                yield from self._concept_ref(where, cid, f"label set ${name}")
        default_literals = _medspacy_default_literals()
        for i, change in enumerate(self.k.defaults):
            where = self._where("defaults", i)
            what = f"default rule {change.literal!r}"
            if default_literals is not None and change.literal not in default_literals:
                yield where.issue(f"{what}: medspaCy has no default rule with this literal")
            yield from self._callback(where, "on_modifies", change.on_modifies)
            yield from self._selector(where, "allowed", change.allowed, what)
            yield from self._selector(where, "excluded", change.excluded, what)
        seen: dict[str, Where] = {}
        for i, rule in enumerate(self.k.context_rules):
            where = self._where("rules", i)
            what = f"context rule {rule.literal!r}"
            yield from self._callback(where, "on_modifies", rule.on_modifies)
            yield from self._selector(where, "allowed", rule.allowed, what)
            yield from self._selector(where, "excluded", rule.excluded, what)
            if rule.resolved and rule.category != "HISTORICAL":
                yield where.issue(f"{what}: resolved is for HISTORICAL rules")
            if rule.pattern is not None:
                problems = list(self._pattern(where, rule.pattern, what))
                yield from problems
                if problems:
                    continue
                key = json.dumps(self.k.pattern(rule.pattern), sort_keys=True)
                if key in seen:
                    yield where.issue(f"{what}: duplicate pattern (also at {seen[key]})")
                seen[key] = where


def _regex_issue(where: Where, value: str, what: str) -> Iterator[Issue]:
    try:
        re.compile(value[3:] if value.startswith("re:") else value)
    except re.error as exc:
        yield where.issue(f"{what}: bad regex ({exc})")


def _near(name: str, known: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=2)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


@cache
def _medspacy_default_literals() -> frozenset[str] | None:
    """The literals of medspaCy's default English ConText rules (None without medspaCy)."""
    path = medspacy_default_rules_path()
    if path is None:
        return None
    rules = json.loads(path.read_text(encoding="utf-8"))["context_rules"]
    return frozenset(r["literal"] for r in rules)
