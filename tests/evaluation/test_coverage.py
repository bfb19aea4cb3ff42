"""Every FAQ item and every pitfall of every card has an eval case; the corpus lint says so when
one does not (only when it is given an evals folder)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scribeplugin.cli import main
from scribeplugin.config import PROJECT_ROOT
from scribeplugin.corpus.cards import load_cards
from scribeplugin.corpus.lint import lint_corpus
from scribeplugin.evaluation.cases import coverage_gaps, covered_items

CORPUS = PROJECT_ROOT / "corpus"
EVALS = PROJECT_ROOT / "evals"
NEW_FAQ = """
### [new-question] Is a question without a case noticed?
It must be: the lint fails until an eval case covers it.
"""


def test_every_faq_item_and_pitfall_is_covered() -> None:
    gaps = coverage_gaps(load_cards(CORPUS), EVALS / "cases", EVALS / "ortho" / "cases")
    assert [item for _card, item, _line in gaps] == []


def test_covered_items_come_from_the_cases() -> None:
    covered = covered_items(EVALS / "cases")
    assert "m53-87-iliolumbar-ligament-syndrome" in covered["M53.87/faq/cpt"]


@pytest.fixture
def corpus_with_new_faq(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS, root)
    card = root / "cards" / "M53.87.md"
    card.write_text(card.read_text(encoding="utf-8") + NEW_FAQ, encoding="utf-8")
    return root


def test_a_new_faq_item_without_a_case_fails_the_lint(corpus_with_new_faq: Path) -> None:
    problems = lint_corpus(corpus_with_new_faq, evals_dir=EVALS)
    card = corpus_with_new_faq / "cards" / "M53.87.md"
    line = (
        card.read_text(encoding="utf-8")
        .splitlines()
        .index("### [new-question] Is a question without a case noticed?")
        + 1
    )
    assert [str(p) for p in problems] == [
        f"{card}:{line}: FAQ item M53.87/faq/new-question is covered by no eval case "
        f"(list it in a case's covers: in {EVALS / 'cases'} or {EVALS / 'ortho' / 'cases'})"
    ]


def test_a_new_pitfall_without_a_case_fails_the_lint(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS, root)
    card = root / "cards" / "M53.86.md"
    text = card.read_text(encoding="utf-8").replace(
        "## Clinical context",
        "- [new-trap] A pitfall nobody has written a case for yet.\n\n## Clinical context",
        1,
    )
    card.write_text(text, encoding="utf-8")
    messages = [p.message for p in lint_corpus(root, evals_dir=EVALS)]
    assert (
        "pitfall M53.86/pitfall/new-trap is covered by no eval case (list it in a case's "
        f"covers: in {EVALS / 'cases'} or {EVALS / 'ortho' / 'cases'})" in messages
    )


def test_without_an_evals_folder_coverage_is_not_checked(corpus_with_new_faq: Path) -> None:
    assert lint_corpus(corpus_with_new_faq) == []


def test_the_cli_lint_checks_coverage(
    corpus_with_new_faq: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCRIBE_CORPUS_DIR", str(corpus_with_new_faq))
    assert main(["lint-corpus"]) == 1
    assert "M53.87/faq/new-question is covered by no eval case" in capsys.readouterr().out
