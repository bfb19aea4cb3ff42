"""What extraction knows, as data: concepts, vocabulary, target patterns and ConText rules.

The sections ``concepts``, ``vocabulary``, ``targets`` and ``context`` of the knowledge files
(``corpus/knowledge/extraction/``, then any extra folder) are modelled here with pydantic, and
validated and merged in file order by ``extraction_checks``. A later file may add concepts, word
lists, targets, label sets and rules; defining one again is an error that names both places.
Targets keep their file order: when two targets match the very same words, the one loaded first
wins.

On load every reference is checked: concepts, word lists (``@NAME``), label sets (``$name``)
and callbacks (named in :data:`CALLBACKS`, implemented in ``extract/callbacks.py``); so are
the patterns' notation and regexes, and no pattern may appear twice. Knowledge that fails any
check does not load; ``scribeplugin lint-corpus`` reports every problem as ``file:line``.

Patterns are spaCy token patterns in a small notation, one string per pattern (see
:func:`token_pattern`), so that a content editor can read and write them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scribeplugin.knowledge import KnowledgeError
from scribeplugin.knowledge.lines import Where


class Category(StrEnum):
    """What kind of thing a concept is; the engines treat each kind in its own way."""

    condition = "condition"
    symptom = "symptom"
    region = "region"
    level = "level"
    laterality = "laterality"
    imaging = "imaging"
    lab = "lab"  # a laboratory test or its result: rheumatoid factor, anti-CCP
    function = "function"
    treatment = "treatment"
    chronicity = "chronicity"
    encounter = "encounter"
    cause = "cause"
    site = "site"  # a body site of the limbs: knee, shoulder, index finger...
    structure = "structure"  # a named part of a site: the MCL, the medial meniscus, a malleolus
    digit = "digit"  # which finger or toe


ContextCategory = Literal[
    "NEGATED_EXISTENCE",
    "POSSIBLE_EXISTENCE",
    "HISTORICAL",
    "FAMILY",
    "HYPOTHETICAL",
    "PSEUDO",
    "GUESS",
    "PLAN",
    "ASSESSMENT",
    "REPORTED",
    "CONJ",  # with direction TERMINATE: ends other cues' scope, modifies nothing itself
]
Direction = Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "PSEUDO", "TERMINATE"]

# The callbacks the data may name, by kind. extract/callbacks.py implements exactly these.
CALLBACKS: dict[str, frozenset[str]] = {
    # ConText: does a modifier apply to this target? (target, modifier, span between)
    "on_modifies": frozenset(
        {
            "adjacent_if_forward",
            "colon_no",
            "gone_for_good",
            "list_continues",
            "not_about_me",
            "old_not_age",
            "past_not_ongoing",
            "subject_of_normal",
        }
    ),
    # targets: is this match not the concept after all? (span, previous word, next word)
    "veto": frozenset({"heart_sounds", "numbness_not_pain"}),
    # targets: which concept a match stands for (a duration: chronic or acute)
    "resolve": frozenset({"chronicity"}),
}
# What the engines look up by name.
REQUIRED_VOCABULARY = (
    "SPINE_PLACE",
    "LATERAL_BODY",
    "LAT_BEFORE",
    "LAT_PREP",
    "LAT_RESULT",
    "NOT_A_SYMPTOM",
    "ATTRIBUTION",
    "AWAITED",
    "SIDE_QUESTION",
    "SIDE_ANSWER",
)
REQUIRED_CONCEPTS = {
    "level": Category.level,
    "left": Category.laterality,
    "right": Category.laterality,
    "chronic": Category.chronicity,
    "acute": Category.chronicity,
}


def joined(value: Any) -> Any:
    """A list of strings is one string joined with '|' (a long word list split at any '|')."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "|".join(value)
    return value


def _listed(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Concept(_Model):
    """A concept extraction finds and rules may name."""

    id: str = ""
    category: Category
    description: str = Field(min_length=1)
    # a symptom that names its region ("low back pain": lumbar)
    own_region: str | None = None
    # what a lone level ("L5") names for it: a vertebra; a nerve root; the vertebra slipping
    # on the one below
    lone_level: Literal["vertebra", "root", "slip"] = "vertebra"
    # a plan cue ("we'll order an MRI") makes it planned, so possible, not done
    plannable: bool = False
    # chronic: how many days make a duration chronic
    min_days: int | None = Field(default=None, gt=0)
    # regions and sides: a regex that finds it in a finding's own words (first listed wins)
    named_by: str | None = None
    # regions: the level letters of its segments ("L": L1-L2 ... L4-L5; "LS": L5-S1)
    spine: str | None = Field(default=None, pattern=r"^[CTLS]{1,2}$")
    # regions: nerve roots coded to it by convention ("S1|S2")
    roots: str | None = None
    # conditions and symptoms that take a body site (and structure, digit) from the clinician's
    # clause: "a strain of the right elbow", "MCL sprain"; a finding with a site is not the spine's
    sited: bool = False
    # structures and digits: the site they are part of (the MCL is the knee's)
    site: str | None = None
    # structures that run the length of a limb (a nerve): a site the finding's clause names
    # wins over ``site``, which is where it is met most ("the ulnar nerve was cut at the wrist")
    travels: bool = False

    @field_validator("named_by", "roots", mode="before")
    @classmethod
    def _join(cls, value: Any) -> Any:
        return joined(value)


class Veto(_Model):
    """When a match is not the concept: every test given must hold."""

    previous: str | None = None  # the word before is one of these
    previous_not: str | None = None  # the word before is none of these
    next: str | None = None  # the word after (past one hyphen) is one of these
    next_not: str | None = None  # the word after (past one hyphen) is none of these
    text: str | None = None  # the match is this (lower case)
    starts_with: str | None = None
    ends_with: str | None = None
    tokens: int | None = Field(default=None, gt=0)  # the match is this many tokens long
    unit_matches: list[str] = []  # regexes (@NAME or re:...) all found in the unit
    unit_lacks: list[str] = []  # regexes none of which is found in the unit
    callback: str | None = None
    # the veto holds only when the finding takes no site from its clause (extract/places.py):
    # "strained my arm" is no spine strain, "strained my knee" is a knee strain
    unsited: bool = False

    @field_validator("unit_matches", "unit_lacks", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return _listed(value)

    @model_validator(mode="after")
    def _some_test(self) -> Veto:
        if not self.model_fields_set:
            raise ValueError("a veto needs at least one test")
        return self


class Split(_Model):
    """One match read as two findings, cut at a word ("back and buttock pain")."""

    at: str = "and|&"
    into: tuple[str, str]
    # the first part becomes another concept after one of these words ("upper back and ...")
    first_after: dict[str, str] = {}


class Target(_Model):
    """The patterns that find a concept (or, with ``split``/``resolve``, one or two)."""

    name: str = ""
    patterns: list[str] = Field(min_length=1)
    veto: list[Veto] = []
    split: Split | None = None
    resolve: str | None = None
    # words that, inside the match, deny it ("my knee doesn't really hurt"): ConText cannot
    # reach a cue inside its target, so such a match is read as negated
    negated_by: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_list(cls, data: Any) -> Any:
        return {"patterns": data} if isinstance(data, list) else data

    @property
    def label(self) -> str:
        return self.name.upper()


class LabelSet(_Model):
    """Targets a ConText rule may allow or exclude: by concept category or by id."""

    categories: list[Category] = []
    concepts: list[str] = []


class _RuleFields(_Model):
    on_modifies: str | None = None
    max_scope: int | None = Field(default=None, gt=0)
    allowed: list[str] | None = None  # concept or target names, or $label_sets
    excluded: list[str] | None = None
    resolved: bool = False  # a HISTORICAL cue that says the problem is over

    @field_validator("allowed", "excluded", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return _listed(value)


class ContextRule(_RuleFields):
    literal: str = Field(min_length=1)
    category: ContextCategory
    pattern: str | None = None
    direction: Direction = "FORWARD"
    plan: bool = False  # the cue is a plan too ("not going to order")


class DefaultChange(_RuleFields):
    """A change to medspaCy's default English ConText rule(s) with this literal."""

    literal: str = Field(min_length=1)
    if_category: ContextCategory | None = None
    drop: bool = False
    category: ContextCategory | None = None


class ContextSection(_Model):
    label_sets: dict[str, LabelSet] = {}
    terminating: dict[ContextCategory, list[ContextCategory]] = {}
    defaults: list[DefaultChange] = []
    rules: list[ContextRule] = []


@dataclass(eq=False)
class ExtractionKnowledge:
    """The merged extraction knowledge. Build it with :meth:`load`."""

    concepts: dict[str, Concept] = field(default_factory=dict)
    vocabulary: dict[str, str] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)  # in priority order
    label_sets: dict[str, LabelSet] = field(default_factory=dict)
    terminating: dict[str, tuple[str, ...]] = field(default_factory=dict)
    defaults: list[DefaultChange] = field(default_factory=list)
    context_rules: list[ContextRule] = field(default_factory=list)
    files: tuple[Path, ...] = ()
    where: dict[tuple[str | int, ...], Where] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, dirs: Iterable[Path]) -> ExtractionKnowledge:
        """Read, validate and merge (``extraction_checks.check``); :class:`KnowledgeError`
        listing every problem."""
        from scribeplugin.knowledge.extraction_checks import check

        knowledge, issues = check(dirs)
        if issues or knowledge is None:
            shown = "\n".join(map(str, sorted(issues)[:20]))
            more = f"\n... and {len(issues) - 20} more" if len(issues) > 20 else ""
            raise KnowledgeError(
                f"extraction knowledge has {len(issues)} problem(s); run "
                f"`scribeplugin lint-corpus`:\n{shown}{more}"
            )
        return knowledge

    # -- lookups the engines use

    @cached_property
    def targets_by_label(self) -> dict[str, Target]:
        return {t.label: t for t in self.targets.values()}

    def of_category(self, *categories: Category) -> list[Concept]:
        return [c for c in self.concepts.values() if c.category in categories]

    def words(self, name: str) -> frozenset[str]:
        """A word list as a set of lower-case words."""
        return frozenset(self.vocabulary[name].split("|"))

    def words_of(self, spec: str) -> frozenset[str]:
        """The words of ``a|b|@NAME``."""
        out: set[str] = set()
        for w in spec.split("|"):
            out |= self.words(w[1:]) if w.startswith("@") else {w}
        return frozenset(out)

    def regex(self, ref: str) -> re.Pattern[str]:
        """``@NAME`` of a ``re:`` vocabulary entry, or an inline ``re:...``, ignoring case."""
        return _text_regex(self.vocabulary[ref[1:]] if ref.startswith("@") else ref)

    def labels(self, names: Iterable[str]) -> set[str]:
        """Target labels of concept/target names and ``$label_sets``."""
        out: set[str] = set()
        for name in names:
            if name.startswith("$"):
                ls = self.label_sets[name[1:]]
                out |= {c.id.upper() for c in self.of_category(*ls.categories)}
                out |= {c.upper() for c in ls.concepts}
            else:
                out.add(name.upper())
        return out

    def pattern(self, spec: str) -> list[dict[str, Any]]:
        return token_pattern(spec, self.vocabulary)


@cache
def _text_regex(value: str) -> re.Pattern[str]:
    return re.compile(value[3:] if value.startswith("re:") else value, re.IGNORECASE)


def token_pattern(spec: str, vocabulary: Mapping[str, str]) -> list[dict[str, Any]]:
    """A spaCy token pattern from the notation, one token per space-separated item:

    - ``a|b|c``: one token whose lower-case text is one of these; a trailing ``?`` makes it
      optional; whitespace after a ``|`` continues the list (so a long list may wrap);
    - ``#``: a number (digits or a number word); ``_``: any one word;
    - ``re:<regex>``: one token whose lower-case text matches; ``=TEXT``: exact, case-sensitive;
    - ``@NAME``: a vocabulary entry (``@LEG``), alone or in a list (``a|@NAME``).
    """
    pattern: list[dict[str, Any]] = []
    for raw in re.sub(r"\|\s+", "|", spec).split():
        item = raw
        optional = len(item) > 1 and item.endswith("?")
        if optional:
            item = item[:-1]
        if item.startswith("@") and "|" not in item:
            item = vocabulary[item[1:]]
        elif "@" in item:
            item = "|".join(vocabulary[w[1:]] if w.startswith("@") else w for w in item.split("|"))
        tok: dict[str, Any]
        if item == "#":
            tok = {"LIKE_NUM": True}
        elif item == "_":
            tok = {"IS_PUNCT": False}
        elif item.startswith("re:"):
            tok = {"LOWER": {"REGEX": item[3:]}}
        elif item.startswith("="):
            tok = {"ORTH": item[1:]}
        else:
            words = set(item.split("|"))
            words |= {w.replace("'", "’") for w in words if "'" in w}
            tok = {"LOWER": {"IN": sorted(words)}} if len(words) > 1 else {"LOWER": item}
        if optional:
            tok["OP"] = "?"
        pattern.append(tok)
    return pattern


@cache
def load_cached(dirs: tuple[Path, ...]) -> ExtractionKnowledge:
    """:meth:`ExtractionKnowledge.load`, once per process and set of folders."""
    return ExtractionKnowledge.load(dirs)


def default_knowledge() -> ExtractionKnowledge:
    """The knowledge the settings name (``corpus/knowledge`` and ``SCRIBE_KNOWLEDGE_EXTRA``)."""
    from scribeplugin.config import get_settings

    return load_cached(tuple(get_settings().knowledge_dirs))


def medspacy_default_rules_path() -> Path | None:
    """medspaCy's default English ConText rules, found without importing medspaCy."""
    from importlib.util import find_spec

    spec = find_spec("medspacy")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).resolve().parents[1] / "resources" / "en" / "context_rules.json"
    return path if path.is_file() else None
