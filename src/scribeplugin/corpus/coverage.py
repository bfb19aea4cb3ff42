"""Which card items the eval cases cover: the ``covers:`` lists of ``evals/**/cases/*.yaml``.

The corpus lint reports a FAQ item or pitfall that no case covers; the eval suite loads its
cases with the same file and YAML helpers (``evaluation.cases``). The cases are read leniently
here, as plain YAML: their validation is the eval suite's, and a file that does not parse covers
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from scribeplugin.corpus.cards import Card


def case_files(cases_dir: Path) -> list[Path]:
    return sorted([*cases_dir.glob("*.yaml"), *cases_dir.glob("*.yml")])


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """The data and the node tree (for line numbers) of one case file. Raises ``OSError``,
    ``UnicodeDecodeError`` or ``yaml.YAMLError``."""
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text), yaml.compose(text)


def yaml_entries(data: Any, node: yaml.Node | None) -> Iterator[tuple[Any, int]]:
    """(case mapping, line) for a file holding one case or a list of cases."""
    if isinstance(data, list) and isinstance(node, yaml.SequenceNode):
        for item, n in zip(data, node.value, strict=True):
            yield item, n.start_mark.line + 1
    elif isinstance(data, dict) and node is not None:
        yield data, node.start_mark.line + 1
    elif data is not None:
        yield data, 1


def covered_items(cases_dir: Path) -> dict[str, list[str]]:
    """Card item id -> the case ids that cover it. Reads leniently (the lint reports bad files
    through its own checks); a file that does not parse covers nothing."""
    covered: dict[str, list[str]] = {}
    for path in case_files(cases_dir) if cases_dir.is_dir() else []:
        try:
            data, node = read_yaml(path)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        for raw, _line in yaml_entries(data, node):
            if not isinstance(raw, dict):
                continue
            for item in raw.get("covers") or []:
                if isinstance(item, str):
                    covered.setdefault(item, []).append(str(raw.get("id", "?")))
    return covered


def coverage_gaps(cards: Iterable[Card], *cases_dirs: Path) -> list[tuple[Card, str, int]]:
    """FAQ items and pitfalls that no case in any of ``cases_dirs`` covers: (card, item id,
    line)."""
    covered = {item for d in cases_dirs for item in covered_items(d)}
    return [
        (card, item.id, item.line)
        for card in cards
        for item in card.items
        if item.kind in {"faq", "pitfall"} and item.id not in covered
    ]
