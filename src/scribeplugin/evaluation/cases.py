"""Eval cases: ``evals/cases/*.yaml``, validated by pydantic.

A file holds one case (a mapping) or a list of them. A case is a synthetic transcript, inline or
in a file beside the case (``transcript_file``, relative to the YAML file), and what the engine
must do with it::

    - id: l5-s1-herniation-s1-radiculopathy
      title: L5-S1 herniation with a left S1 radiculopathy, MRI concordant
      format: labeled                 # what the transcript parser should see
      context: {date_of_service: 2026-05-12}
      transcript: |
        Doctor: ...
      expect:
        codes: [M51.17]               # the complete code set the visit supports
        not_codes: [M54.17, M54.4-]   # pitfalls: must not appear (``-`` means the whole subtree)
        prompts: [m51-17-side]        # documentation prompts (rule ids, missing-*, confirm-*)
        warnings: [m53-87-more-specific-code]   # pitfall warnings (rule ids)
        abstain: false                # true: no confident code; a documentation prompt instead
      covers: [M51.17/faq/lumbosacral-radiculopathy]   # card items the case exercises
      tags: [radiculopathy, disc]

Structure is checked on load (``CaseError`` names the file and line); references (codes in the
code set, prompt and warning ids among the corpus rules, card items) by :func:`check_references`,
and the corpus lint checks every code and item id in ``evals/`` as well. Which card items the
cases cover (``covered_items``, ``coverage_gaps``) is read in ``corpus.coverage``, where the lint
finds it; the names are re-exported here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from scribeplugin.corpus.cards import ITEM_ID
from scribeplugin.corpus.coverage import case_files as case_files
from scribeplugin.corpus.coverage import coverage_gaps as coverage_gaps
from scribeplugin.corpus.coverage import covered_items as covered_items
from scribeplugin.corpus.coverage import read_yaml, yaml_entries
from scribeplugin.errors import ScribeError

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet
    from scribeplugin.corpus.rules import LoadedRule

Format = Literal["labeled", "asr", "plain", "segments"]
CASE_ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
_CODE_OR_PATTERN = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?(\.?-)?$")
_PROMPT_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Prompts the rules drafter writes itself (draft/rules.py), besides the corpus rules.
DRAFTER_PROMPT_PREFIXES = ("missing-", "confirm-")


class CaseError(ScribeError):
    """A case file that cannot be read or fails validation; names the file and line."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Segment(_Model):
    """One JSON segment, as a scribe sends it."""

    speaker: str
    text: str


class CaseContext(_Model):
    """What the scribe would send besides the transcript."""

    date_of_service: date | None = None
    note: str | None = Field(default=None, description="why the case exists, for the QA reader")


class Expect(_Model):
    codes: list[str] = Field(
        default_factory=list, description="the complete set of codes the visit supports"
    )
    not_codes: list[str] = Field(
        default_factory=list, description="codes that must not appear; 'M54.4-' = the subtree"
    )
    out_of_scope: list[str] = Field(
        default_factory=list,
        description="correct codes outside the plugin's spine scope (N20.1, Z87.39...): shown "
        "in the report, never scored",
    )
    prompts: list[str] = Field(default_factory=list, description="prompt ids that must appear")
    not_prompts: list[str] = Field(default_factory=list, description="prompt ids that must not")
    exact_prompts: bool = Field(
        default=False, description="``prompts`` is the whole list: counts for prompt precision"
    )
    warnings: list[str] = Field(default_factory=list, description="warning rule ids")
    not_warnings: list[str] = Field(default_factory=list)
    abstain: bool = Field(
        default=False, description="no code with status 'suggested'; at least one prompt"
    )

    @field_validator("codes", "out_of_scope")
    @classmethod
    def _codes(cls, v: list[str]) -> list[str]:
        for c in v:
            if not _CODE.match(c):
                raise ValueError(f"{c!r} is not an ICD-10-CM code (write it like M51.17)")
        return _unique(v)

    @field_validator("not_codes")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        for c in v:
            if not _CODE_OR_PATTERN.match(c):
                raise ValueError(f"{c!r} is not a code or a code pattern like 'M54.4-'")
        return _unique(v)

    @field_validator("prompts", "not_prompts", "warnings", "not_warnings")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        for i in v:
            if not _PROMPT_ID.match(i):
                raise ValueError(f"{i!r} is not a rule or prompt id (words joined by '-')")
        return _unique(v)

    @model_validator(mode="after")
    def _consistent(self) -> Expect:
        from scribeplugin.corpus.rules import code_matches

        both = [c for c in self.codes for p in self.not_codes if code_matches(c, p)]
        if both:
            raise ValueError(f"{', '.join(both)} is both expected and forbidden")
        for name, yes, no in (
            ("prompt", self.prompts, self.not_prompts),
            ("warning", self.warnings, self.not_warnings),
        ):
            clash = sorted(set(yes) & set(no))
            if clash:
                raise ValueError(f"{name} {', '.join(clash)} is both expected and forbidden")
        return self


class Case(_Model):
    id: str = Field(pattern=CASE_ID)
    title: str = Field(min_length=5, max_length=160)
    format: Format
    transcript: str | list[Segment] | None = None
    transcript_file: str | None = None
    context: CaseContext = Field(default_factory=CaseContext)
    expect: Expect
    covers: list[str] = Field(default_factory=list, description="card item ids exercised")
    tags: list[str] = Field(default_factory=list)

    # Where the case was read from (set by the loader; not part of the YAML).
    source: str = Field(default="", exclude=True)
    line: int = Field(default=0, exclude=True)

    @field_validator("covers")
    @classmethod
    def _items(cls, v: list[str]) -> list[str]:
        for item in v:
            if not ITEM_ID.fullmatch(item):
                raise ValueError(
                    f"{item!r} is not a card item id like 'M53.87/pitfall/region-mix-up'"
                )
        return _unique(v)

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        for t in v:
            if not re.match(CASE_ID, t):
                raise ValueError(f"tag {t!r}: lowercase words joined by '-'")
        return _unique(v)

    @model_validator(mode="after")
    def _one_transcript(self) -> Case:
        if (self.transcript is None) == (self.transcript_file is None):
            raise ValueError("give exactly one of 'transcript' (inline) or 'transcript_file'")
        if isinstance(self.transcript, str) and not self.transcript.strip():
            raise ValueError("transcript is empty")
        segments = isinstance(self.transcript, list) or (
            self.transcript_file is not None and self.transcript_file.endswith(".json")
        )
        if segments != (self.format == "segments"):
            raise ValueError(
                "format 'segments' goes with a list of {speaker, text} (inline or a .json file), "
                "and only with one"
            )
        return self

    def load_transcript(self) -> str | list[dict[str, str]]:
        """The transcript as the scribe would send it: text, or JSON segments."""
        if isinstance(self.transcript, list):
            return [s.model_dump() for s in self.transcript]
        if self.transcript is not None:
            return self.transcript
        assert self.transcript_file is not None
        path = Path(self.source).parent / self.transcript_file
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CaseError(Path(self.source), self.line, f"transcript_file {path}: {exc}") from exc
        if path.suffix == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise CaseError(
                    Path(self.source), self.line, f"transcript_file {path}: not JSON ({exc})"
                ) from exc
            return [Segment.model_validate(s).model_dump() for s in data]
        return text


def _unique(v: list[str]) -> list[str]:
    dupes = sorted({x for x in v if v.count(x) > 1})
    if dupes:
        raise ValueError(f"listed twice: {', '.join(dupes)}")
    return v


# -- loading -------------------------------------------------------------------------------------


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        return read_yaml(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError(path, 1, f"cannot read case file: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CaseError(path, mark.line + 1 if mark else 1, f"not valid YAML: {exc}") from exc


def load_case_file(path: Path) -> list[Case]:
    data, node = _read_yaml(path)
    cases = []
    for raw, line in yaml_entries(data, node):
        if not isinstance(raw, dict):
            raise CaseError(path, line, "a case is a mapping with id, title, format, transcript...")
        try:
            case = Case.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "case"
            who = f"case {raw.get('id')!r}: " if raw.get("id") else ""
            raise CaseError(path, line, f"{who}{where}: {err['msg']}") from exc
        cases.append(case.model_copy(update={"source": str(path), "line": line}))
    return cases


def load_cases(cases_dir: Path) -> list[Case]:
    """Every case under ``cases_dir`` in file order; ids must be unique across files."""
    if not cases_dir.is_dir():
        raise CaseError(cases_dir, 0, "no such folder of eval cases (expected evals/cases/)")
    cases: list[Case] = []
    seen: dict[str, Case] = {}
    for path in case_files(cases_dir):
        for case in load_case_file(path):
            if case.id in seen:
                first = seen[case.id]
                raise CaseError(
                    path,
                    case.line,
                    f"duplicate case id {case.id} (also {first.source}:{first.line})",
                )
            seen[case.id] = case
            if case.transcript_file is not None:
                file = path.parent / case.transcript_file
                if not file.is_file():
                    raise CaseError(path, case.line, f"transcript_file {file} does not exist")
            cases.append(case)
    if not cases:
        raise CaseError(cases_dir, 0, "no cases found (evals/cases/*.yaml)")
    return cases


# -- references ----------------------------------------------------------------------------------


def check_references(
    cases: Iterable[Case],
    codeset: CodeSet,
    rules: list[LoadedRule],
    items: set[str],
) -> list[str]:
    """Problems with what the cases name: unknown or non-billable expected codes, unknown
    prompt or warning ids, unknown card items. An empty list means all resolve."""
    from scribeplugin.concepts import Category, concepts
    from scribeplugin.draft.rules import MISSING_PROMPTS

    prompt_ids = {r.rule.id for r in rules if r.rule.kind == "prompt"}
    warning_ids = {r.rule.id for r in rules if r.rule.kind in {"warning", "alternative"}}
    drafter_prompts = {f"missing-{k.replace('_', '-')}" for k in MISSING_PROMPTS} | {
        f"confirm-{c.id.replace('_', '-')}"
        for c in concepts().values()
        if c.category == Category.condition
    }
    problems = []
    for case in cases:
        where = f"{case.source}:{case.line}: case {case.id}"
        e = case.expect
        for code in e.codes:
            entry = codeset.get(code)
            if entry is None:
                problems.append(f"{where}: expected code {code} is not in {codeset.release.name}")
            elif not entry.billable:
                problems.append(f"{where}: expected code {code} is not billable; name the leaf")
        for code in [*e.not_codes, *e.out_of_scope]:
            if code.rstrip("-").rstrip(".") not in codeset:
                problems.append(f"{where}: code {code} is not in {codeset.release.name}")
        for pid in [*e.prompts, *e.not_prompts]:
            if pid not in prompt_ids and pid not in drafter_prompts:
                problems.append(f"{where}: {pid} is not a prompt rule, missing-* or confirm-* id")
        for wid in [*e.warnings, *e.not_warnings]:
            if wid not in warning_ids:
                problems.append(f"{where}: {wid} is not a warning or alternative rule id")
        for item in case.covers:
            if item not in items:
                problems.append(f"{where}: covers unknown card item {item}")
    return problems
