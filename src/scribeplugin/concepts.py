"""The vocabulary of finding concepts: what extraction finds and what rules may test.

The concepts are data (``corpus/knowledge/extraction/concepts.yaml``, plus any extra knowledge
folder); this module is the small API the rest of the code reads them through: the extractor
(which concepts it can emit), the rules (which concepts a condition may name; an unknown name is
a lint error) and the drafter (which code a concept points to).
"""

from __future__ import annotations

from collections.abc import Mapping

from scribeplugin.knowledge.extraction import Category, Concept, default_knowledge

__all__ = ["Category", "Concept", "category_of", "concepts", "is_concept"]


def concepts() -> Mapping[str, Concept]:
    """Every concept of the default knowledge, by id."""
    return default_knowledge().concepts


def is_concept(name: str) -> bool:
    return name in concepts()


def category_of(name: str) -> Category:
    """The category of a concept; KeyError for an unknown one."""
    return concepts()[name].category
