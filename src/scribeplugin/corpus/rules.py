"""Declarative coding rules: ``corpus/rules/*.yaml``, validated by pydantic.

A rule says: when these codes are candidates and these findings are (or are not) in the
transcript, emit a documentation prompt, a pitfall warning, or alternative codes. Every rule
links to the card item it enforces, so each prompt and warning cites its guidance. Example::

    rules:
      - id: m53-87-more-specific-disc
        kind: warning
        item: M53.87/pitfall/more-specific-code
        when:
          codes_any: [M53.87]
          findings_any: [disc_herniation]
        forbid: [M53.87]
        alternatives: [M51.17]
        message: A disc displacement at L5-S1 is coded to M51.-, not M53.87.

Code patterns: ``M53.87`` is that code; ``M51.1-`` is M51.1 and everything below it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scribeplugin.concepts import is_concept
from scribeplugin.corpus.cards import ITEM_ID
from scribeplugin.errors import CorpusError

NoteSection = Literal["chief_complaint", "hpi", "ros", "exam", "imaging", "assessment", "plan"]
# A compliant query that asks for a choice always leaves these open (AHIMA/ACDIS).
REQUIRED_OPTIONS = frozenset({"other", "clinically undetermined"})
CODE_PATTERN = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?-?$")


class When(BaseModel):
    """Conditions, all of which must hold. Findings count only when asserted present."""

    model_config = ConfigDict(extra="forbid")
    codes_any: list[str] = Field(default_factory=list, description="a candidate matches one")
    codes_none: list[str] = Field(default_factory=list, description="no candidate matches")
    findings_all: list[str] = Field(default_factory=list)
    findings_any: list[str] = Field(default_factory=list)
    findings_none: list[str] = Field(default_factory=list, description="absent or negated")
    uncertain_any: list[str] = Field(
        default_factory=list, description="a finding stated only as possible or probable"
    )
    mentioned_any: list[str] = Field(
        default_factory=list,
        description="a finding asserted present or stated as possible (a referral letter's word)",
    )
    unless_link_doubted: bool = Field(
        default=False,
        description=(
            "the rule does not apply when a clinician doubts or denies that the disc causes the "
            "pain ('I don't think it explains your leg', 'cause not determined')"
        ),
    )
    at_region: str | None = Field(
        default=None,
        description=(
            "a region concept: findings_all and findings_any count only where documented at it "
            "(radiculopathy at region_lumbosacral: an S1 root, an L5-S1 disc)"
        ),
    )
    same_region: bool = Field(
        default=False,
        description=(
            "findings_all and findings_any (condition concepts) count only where documented "
            "at the region of a matched code (M53.87: lumbosacral) or at no region"
        ),
    )

    @field_validator("codes_any", "codes_none")
    @classmethod
    def _code_shape(cls, v: list[str]) -> list[str]:
        for c in v:
            if not CODE_PATTERN.match(c):
                raise ValueError(f"{c!r} is not an ICD-10-CM code or code pattern like 'M51.1-'")
        return v

    @field_validator("at_region")
    @classmethod
    def _a_region(cls, v: str | None) -> str | None:
        if v is not None and (not v.startswith("region_") or not is_concept(v)):
            raise ValueError(f"at_region must be a region concept (region_lumbar...), not {v!r}")
        return v

    @field_validator(
        "findings_all", "findings_any", "findings_none", "uncertain_any", "mentioned_any"
    )
    @classmethod
    def _known_concepts(cls, v: list[str]) -> list[str]:
        unknown = [c for c in v if not is_concept(c)]
        if unknown:
            raise ValueError(
                f"unknown finding concept(s) {unknown}; see "
                "corpus/knowledge/extraction/concepts.yaml"
            )
        return v


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    kind: Literal["prompt", "warning", "alternative"]
    item: str = Field(description="the card item this rule enforces, e.g. M53.87/tip/imaging")
    when: When
    message: str = Field(min_length=10)
    note_section: NoteSection = "assessment"
    severity: Literal["info", "warning", "critical"] = "info"
    forbid: list[str] = Field(default_factory=list, description="codes the guard removes")
    alternatives: list[str] = Field(default_factory=list, description="codes to consider")
    axis: str | None = Field(
        default=None,
        pattern=r"^[a-z_]+$",
        description="prompts: what the query asks the note to settle (laterality, level...)",
    )
    options: list[str] = Field(
        default_factory=list,
        description="prompts: the clinically reasonable answers offered, with 'other' and "
        "'clinically undetermined' (compliant query practice)",
    )

    @field_validator("item")
    @classmethod
    def _item_shape(cls, v: str) -> str:
        if not ITEM_ID.fullmatch(v):
            raise ValueError(f"{v!r} is not a card item id like 'M53.87/pitfall/region-mix-up'")
        return v

    @field_validator("forbid", "alternatives")
    @classmethod
    def _codes(cls, v: list[str]) -> list[str]:
        return When._code_shape(v)

    @field_validator("options")
    @classmethod
    def _open_choice(cls, v: list[str]) -> list[str]:
        if v and not {o.strip().lower() for o in v} >= REQUIRED_OPTIONS:
            raise ValueError(
                "a query that offers options offers 'other' and 'clinically undetermined' too"
            )
        return v


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[Rule]


@dataclass(frozen=True, slots=True)
class LoadedRule:
    rule: Rule
    path: Path
    line: int


class RuleError(CorpusError):
    def __init__(self, path: Path, line: int, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}")


def code_matches(code: str, pattern: str) -> bool:
    """``M51.17`` matches ``M51.17`` and ``M51.1-``; ``M51.1-`` does not match ``M51.2x``."""
    if pattern.endswith("-"):
        return code.startswith(pattern[:-1])
    return code == pattern


def parse_rule_file(path: Path) -> list[LoadedRule]:
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(path, 1, f"cannot read rule file: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RuleError(path, mark.line + 1 if mark else 1, f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or node is None:
        raise RuleError(path, 1, "a rule file is a mapping with a 'rules:' list")
    rule_lines = _rule_lines(node)
    try:
        parsed = RuleFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"]
        line = (
            rule_lines[loc[1]]
            if len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(rule_lines)
            else 1
        )
        where = ".".join(map(str, loc))
        raise RuleError(path, line, f"{where}: {err['msg']}") from exc
    return [LoadedRule(r, path, rule_lines[i]) for i, r in enumerate(parsed.rules)]


def _rule_lines(node: yaml.Node) -> list[int]:
    for key, value in getattr(node, "value", []):
        if getattr(key, "value", None) == "rules" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def load_rules(corpus_dir: Path) -> list[LoadedRule]:
    rules_dir = corpus_dir / "rules"
    if not rules_dir.is_dir():
        raise CorpusError(f"No rules folder at {rules_dir}. Point SCRIBE_CORPUS_DIR at the corpus.")
    out: list[LoadedRule] = []
    for p in sorted(rules_dir.glob("*.yaml")):
        out.extend(parse_rule_file(p))
    return out
