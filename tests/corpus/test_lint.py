"""The corpus lint passes on the real corpus and catches each kind of error on broken copies."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from scribeplugin.cli import main
from scribeplugin.config import PROJECT_ROOT
from scribeplugin.corpus.lint import lint_corpus

CORPUS = PROJECT_ROOT / "corpus"
CARD = "cards/M53.87.md"
RULES = "rules/M53.87.yaml"


@pytest.fixture
def broken(tmp_path: Path) -> Callable[[str, str, str], Path]:
    """A copy of the corpus with one replacement made in one file."""

    def make(rel: str, old: str, new: str) -> Path:
        root = tmp_path / "corpus"
        shutil.copytree(CORPUS, root)
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"fixture text {old!r} not found in {rel}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return root

    return make


def test_real_corpus_is_clean() -> None:
    problems = lint_corpus(CORPUS, extra_dirs=[PROJECT_ROOT / "prompts", PROJECT_ROOT / "evals"])
    assert problems == [], "\n".join(map(str, problems))


def test_cli_exit_codes(
    broken: Callable[[str, str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint-corpus", "--corpus", str(CORPUS)]) == 0
    root = broken(
        CARD,
        "title: Other specified dorsopathies, lumbosacral region",
        "title: Lumbosacral dorsopathy",
    )
    assert main(["lint-corpus", "--corpus", str(root)]) == 1
    out = capsys.readouterr().out
    assert f"{root / CARD}:3: title 'Lumbosacral dorsopathy' is not the official description" in out


@pytest.mark.parametrize(
    ("rel", "old", "new", "expected"),
    [
        pytest.param(
            CARD,
            "- [region-mix-up] Mixing up the regions.",
            "- [region-mix-up] Mixing up the regions. Rule out M54.4- (lumbosacral radiculopathy) first.",
            "label 'lumbosacral radiculopathy' for M54.4- contradicts the official description "
            "'Lumbago with sciatica'",
            id="seed-error-label-after-code",
        ),
        pytest.param(
            CARD,
            "- [region-mix-up] Mixing up the regions.",
            "- [region-mix-up] Mixing up the regions. Code lumbosacral\n  radiculopathy (M54.4-) first.",
            "label 'lumbosacral radiculopathy' for M54.4- contradicts",
            id="seed-error-label-before-code-wrapped",
        ),
        pytest.param(
            CARD,
            "M53.86 for the lumbar region",
            "M53.86 (lumbosacral region)",
            "label 'lumbosacral region' for M53.86 contradicts",
            id="wrong-region-label",
        ),
        pytest.param(
            CARD,
            "- [region-mix-up] Mixing up the regions.",
            "- [region-mix-up] Mixing up the regions. See M53.89 as well.",
            "unknown ICD-10-CM code M53.89",
            id="unknown-code",
        ),
        pytest.param(
            CARD,
            "disc disorders\n  (M51.-)",
            "disc disorders\n  (M51.17-)",
            "M51.17- names codes below M51.17, but M51.17 is itself a billable code",
            id="dash-on-billable-code",
        ),
        pytest.param(
            CARD,
            "billable: true",
            "billable: false",
            "billable: false is wrong",
            id="billable-claim",
        ),
        pytest.param(
            CARD,
            "seventh_character: none",
            "seventh_character: included",
            "seventh_character: included is wrong for M53.87",
            id="seventh-claim",
        ),
        pytest.param(
            CARD,
            "No. M53.87 is billable as it stands.",
            "No. M53.87 is not billable on its own.",
            "says M53.87 is not billable, but it is billable",
            id="billable-claim-in-text",
        ),
        pytest.param(
            CARD,
            "such as S33.5XXA.",
            "such as S33.5XXA. S33.5 takes no 7th character.",
            "says S33.5 takes no 7th character, but it requires one",
            id="seventh-claim-in-text",
        ),
        pytest.param(
            CARD,
            "- [level-and-region]",
            "- [imaging]",
            "duplicate item id M53.87/tip/imaging",
            id="duplicate-item-id",
        ),
        pytest.param(
            CARD,
            "- [level-and-region]",
            "- [Level And Region]",
            "bad item id [Level And Region]",
            id="malformed-item-id",
        ),
        pytest.param(
            RULES,
            "item: M53.87/tip/imaging",
            "item: M53.87/tip/no-such-tip",
            "names unknown card item M53.87/tip/no-such-tip",
            id="dangling-rule-item",
        ),
        pytest.param(
            RULES,
            "alternatives: [M53.86]",
            "alternatives: [M53.860]",
            "unknown ICD-10-CM code M53.860",
            id="unknown-code-in-rule",
        ),
        pytest.param(
            RULES,
            "findings_any: [region_lumbar]",
            "findings_any: [lumbar_region]",
            "unknown finding concept(s) ['lumbar_region']",
            id="unknown-concept",
        ),
        pytest.param(
            RULES,
            "item: M53.87/pitfall/region-mix-up",
            "item: M53.87/tip/level-and-region",
            "pitfall M53.87/pitfall/region-mix-up has no rule enforcing it",
            id="pitfall-without-rule",
        ),
        pytest.param(
            RULES,
            "  - id: m53-87-imaging",
            "  - id: m53-87-name-the-condition",
            "duplicate rule id m53-87-name-the-condition",
            id="duplicate-rule-id",
        ),
        pytest.param(
            "rules/M54.17.yaml",
            "at_region: region_lumbosacral",
            "at_region: lumbosacral",
            "at_region must be a region concept",
            id="at-region-not-a-region",
        ),
        pytest.param(
            "rules/M75.101.yaml",
            "  alternatives:\n  - S46.011A\n",
            "  forbid:\n  - M75.1-\n  alternatives:\n  - S46.011A\n",
            "rule m75-101-traumatic-excludes1 removes the code it warns about on an injury read "
            "anywhere in the visit",
            id="removes-on-any-injury",
        ),
        pytest.param(
            "rules/M47.817.yaml",
            "mentioned_any: [myelopathy]",
            "mentioned_any: [myelopathies]",
            "unknown finding concept(s) ['myelopathies']",
            id="mentioned-unknown-concept",
        ),
    ],
)
def test_lint_catches(
    broken: Callable[[str, str, str], Path], rel: str, old: str, new: str, expected: str
) -> None:
    root = broken(rel, old, new)
    messages = [str(p) for p in lint_corpus(root)]
    assert any(expected in m for m in messages), "\n".join(messages) or "no problems reported"
    assert all(str(root) in m for m in messages)


def test_lint_reports_the_line(broken: Callable[[str, str, str], Path]) -> None:
    root2 = broken(CARD, "- [family]", "- [family] M99.99 is wrong.")
    card_text = (root2 / CARD).read_text(encoding="utf-8").splitlines()
    line = next(i for i, t in enumerate(card_text, 1) if "M99.99" in t)
    problems = [p for p in lint_corpus(root2) if "M99.99" in p.message]
    assert [(Path(p.path).name, p.line) for p in problems] == [("M53.87.md", line)]


def test_eval_and_prompt_files_are_checked(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS, root)
    evals = tmp_path / "evals"
    evals.mkdir()
    (evals / "case.yaml").write_text(
        "covers: [M53.87/faq/no-such-faq]\nexpect:\n  codes: [M53.871]\n", encoding="utf-8"
    )
    messages = [p.message for p in lint_corpus(root, extra_dirs=[evals])]
    assert "unknown card item id M53.87/faq/no-such-faq" in messages
    assert any(m.startswith("unknown ICD-10-CM code M53.871") for m in messages)
