"""Eval coverage: every FAQ item and every pitfall of every card is covered by an eval case (the
cases' ``covers:`` lists, read by ``corpus.coverage``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from scribeplugin.corpus.cards import Card
from scribeplugin.corpus.coverage import coverage_gaps
from scribeplugin.corpus.lint.problem import Problem


def check_coverage(cards: list[Card], evals_dir: Path) -> Iterator[Problem]:
    folders = (evals_dir / "cases", evals_dir / "ortho" / "cases")
    for card, item_id, line in coverage_gaps(cards, *folders):
        kind = "FAQ item" if "/faq/" in item_id else "pitfall"
        yield Problem(
            str(card.path),
            line,
            f"{kind} {item_id} is covered by no eval case (list it in a case's covers: in "
            f"{evals_dir / 'cases'} or {evals_dir / 'ortho' / 'cases'})",
        )
