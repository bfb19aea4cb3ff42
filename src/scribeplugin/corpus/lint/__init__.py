"""Corpus lint: every code, label, claim and id in the guidance must agree with the tabular list.

Checks, each reported as ``file:line: reason``:
- cards parse; the file name is the card's code; the code exists and is billable as claimed;
  the title is the official description; the 7th-character claim is true; siblings exist;
- every ICD-10-CM code named in any text exists (``M51.1-`` must be a real category with codes
  below it); a label written as ``CODE (label)`` or ``label (CODE)`` does not contradict the
  official description (e.g. calling M54.4- "radiculopathy"); sentences claiming a code is
  (not) billable or has no 7th character are true;
- item ids are well formed and unique; rules validate, name existing items, known concepts and
  real codes; every pitfall of every card is enforced by at least one rule;
- prompts and eval cases (when given) name only real codes and existing item ids;
- the clinical knowledge (``corpus/knowledge``, and extra folders when given) validates; every
  concept, word list, label set and callback it names exists; no pattern appears twice; every
  code it names exists (``knowledge.extraction.check``); the coding knowledge (section
  ``coding``) names only real codes (a stem such as S13.4XX takes a 7th character) and known
  finding concepts, and every route of the limbs leads where it says in the Alphabetic Index;
- with an evals folder: every FAQ item and every pitfall of every card is covered by a case.

The checks, one module each: ``cards``, ``text`` (codes, labels and claims in any text),
``rules``, ``knowledge`` (coding and clinical), ``files`` (prompts and eval cases), ``coverage``;
``problem`` holds what they report.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from scribeplugin.codeset import CodeSet, get_codeset
from scribeplugin.corpus.cards import Card, CardError, parse_card
from scribeplugin.corpus.lint.cards import check_card
from scribeplugin.corpus.lint.coverage import check_coverage
from scribeplugin.corpus.lint.files import check_other_files
from scribeplugin.corpus.lint.knowledge import check_coding_knowledge, check_knowledge
from scribeplugin.corpus.lint.problem import Problem
from scribeplugin.corpus.lint.rules import check_rules, leading_wording
from scribeplugin.corpus.lint.text import CODE_IN_TEXT, check_text
from scribeplugin.corpus.rules import LoadedRule, RuleError, parse_rule_file

if TYPE_CHECKING:
    from scribeplugin.alphabetic import AlphabeticIndex

__all__ = [
    "CODE_IN_TEXT",
    "Problem",
    "check_text",
    "leading_wording",
    "lint_corpus",
    "print_report",
]


def lint_corpus(
    corpus_dir: Path,
    extra_dirs: Iterable[Path] = (),
    codeset: CodeSet | None = None,
    evals_dir: Path | None = None,
    knowledge_extra: Iterable[Path] = (),
) -> list[Problem]:
    """All problems in the corpus (and in prompts/evals under ``extra_dirs``), sorted.

    With ``evals_dir``, a FAQ item or pitfall that no case in ``evals_dir/cases`` covers is a
    problem too. The knowledge checked is ``corpus_dir/knowledge`` then ``knowledge_extra``."""
    cs = codeset or get_codeset()
    problems: list[Problem] = []
    cards: list[Card] = []
    cards_dir, rules_dir = corpus_dir / "cards", corpus_dir / "rules"
    if not cards_dir.is_dir():
        return [Problem(str(cards_dir), 0, "no cards folder: is this a corpus directory?")]
    for path in sorted(cards_dir.glob("*.md")):
        try:
            cards.append(parse_card(path))
        except CardError as exc:
            problems.append(Problem(str(exc.path), exc.line, exc.message))
    item_ids: dict[str, Card] = {}
    for card in cards:
        problems.extend(check_card(card, cs))
        for item in card.items:
            if item.id in item_ids:
                problems.append(Problem(str(card.path), item.line, f"duplicate item id {item.id}"))
            item_ids[item.id] = card

    rules: list[LoadedRule] = []
    for path in sorted(rules_dir.glob("*.yaml")) if rules_dir.is_dir() else []:
        try:
            rules.extend(parse_rule_file(path))
        except RuleError as exc:
            problems.append(Problem(str(exc.path), exc.line, exc.message))
    problems.extend(check_rules(rules, item_ids, cs))

    enforced = {r.rule.item for r in rules}
    for card in cards:
        for item in card.items_of("pitfall"):
            if item.id not in enforced:
                problems.append(
                    Problem(
                        str(card.path), item.line, f"pitfall {item.id} has no rule enforcing it"
                    )
                )
    knowledge_extra = list(knowledge_extra)
    problems.extend(
        check_coding_knowledge(
            [corpus_dir / "knowledge", *knowledge_extra], cs, _alphabetic(corpus_dir)
        )
    )
    for folder in extra_dirs:
        problems.extend(check_other_files(folder, item_ids, cs))
    problems.extend(check_knowledge([corpus_dir / "knowledge", *knowledge_extra], cs))
    if evals_dir is not None:
        problems.extend(check_coverage(cards, evals_dir))
    return sorted(set(problems))


def _alphabetic(corpus_dir: Path) -> AlphabeticIndex | None:
    """The Alphabetic Index the routes are walked in: the one vendored in this corpus, else the
    project's (a corpus folder of tests has none of its own)."""
    from scribeplugin.alphabetic import get_alphabetic
    from scribeplugin.alphabetic.index import vendored_path
    from scribeplugin.config import PROJECT_ROOT

    for folder in (corpus_dir, PROJECT_ROOT / "corpus"):
        if vendored_path(folder).is_file():
            return get_alphabetic(None, folder)
    return None


def print_report(problems: list[Problem], corpus_dir: Path) -> None:
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) in {corpus_dir}")
    else:
        print(f"corpus OK: {corpus_dir}")
