"""medspaCy rules built from the extraction knowledge: TargetRules and ConText rules.

The knowledge (``corpus/knowledge/extraction/``) holds the patterns, in the notation of
``knowledge.extraction.token_pattern``; this module only turns them into medspaCy's rule
objects. medspaCy's regex target rules rebuild the document text once per rule and per
document, which costs more than all the token rules together on a 1,500-word visit, so every
rule is a token rule.

Target labels are the target names in upper case: a concept's id, or a target that stands for
another (``DURATION``: chronic or acute) or for two (``BACK_AND_LEG_PAIN``), plus ``LEFT`` and
``RIGHT`` (a laterality word in a body-part context, tagged on the token before matching, see
``nlp.LateralityTagger``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from scribeplugin.extract.callbacks import callback
from scribeplugin.knowledge import KnowledgeError
from scribeplugin.knowledge.extraction import (
    ExtractionKnowledge,
    default_knowledge,
    medspacy_default_rules_path,
)

if TYPE_CHECKING:
    from medspacy.context import ConTextRule
    from medspacy.target_matcher import TargetRule

# Laterality is tagged on the token (nlp.LateralityTagger), so "left" needs a context.
LATERALITY_LABELS = {"LEFT": "left", "RIGHT": "right"}


def label_of(concept: str) -> str:
    return concept.upper()


def build_target_rules(
    knowledge: ExtractionKnowledge | None = None,
) -> dict[str, list[TargetRule]]:
    """TargetRules by target label, in the order of the knowledge (ties go to the first)."""
    from medspacy.target_matcher import TargetRule

    k = knowledge or default_knowledge()
    out: dict[str, list[TargetRule]] = {}
    for name, target in k.targets.items():
        out[target.label] = [
            TargetRule(f"{name}: {spec}", target.label, pattern=k.pattern(spec))
            for spec in target.patterns
        ]
    for label, side in LATERALITY_LABELS.items():
        # The word test is implied by the tagger (nlp.LateralityTagger); it lets the matcher
        # try the rule only at the word.
        pattern = [{"LOWER": side, "_": {"scribe_lat": side}}]
        out[label] = [TargetRule(side, label, pattern=pattern)]
    return out


def build_context_rules(knowledge: ExtractionKnowledge | None = None) -> list[ConTextRule]:
    """medspaCy's default English ConText rules, changed as the knowledge says, then its own."""
    from medspacy.context import ConTextRule

    k = knowledge or default_knowledge()
    path = medspacy_default_rules_path()
    if path is None:  # pragma: no cover - medspaCy is a dependency
        raise KnowledgeError("medspaCy's default ConText rules (context_rules.json) not found")
    changes: dict[str, list[Any]] = {}
    for change in k.defaults:
        changes.setdefault(change.literal, []).append(change)
    items: list[dict[str, Any]] = []
    for raw in json.loads(path.read_text(encoding="utf-8"))["context_rules"]:
        item: dict[str, Any] | None = dict(raw)
        for change in changes.get(raw["literal"], []):
            assert item is not None
            if change.if_category is not None and item["category"] != change.if_category:
                continue
            if change.drop:
                item = None
                break
            if change.category is not None:
                item["category"] = change.category
            if change.on_modifies is not None:
                item["on_modifies"] = callback("on_modifies", change.on_modifies)
            if change.max_scope is not None:
                item["max_scope"] = change.max_scope
            if change.allowed is not None:
                item["allowed_types"] = k.labels(change.allowed)
            if change.excluded is not None:
                item["excluded_types"] = k.labels(change.excluded)
        if item is not None:
            items.append(item)
    for rule in k.context_rules:
        items.append(
            {
                "literal": rule.literal,
                "category": rule.category,
                "pattern": k.pattern(rule.pattern) if rule.pattern is not None else None,
                "direction": rule.direction,
                "allowed_types": k.labels(rule.allowed) if rule.allowed is not None else None,
                "excluded_types": k.labels(rule.excluded) if rule.excluded is not None else None,
                "max_scope": rule.max_scope,
                "on_modifies": (
                    callback("on_modifies", rule.on_modifies) if rule.on_modifies else None
                ),
            }
        )
    return [ConTextRule(**item) for item in items]


def terminating_types(knowledge: ExtractionKnowledge) -> dict[str, tuple[str, ...]]:
    """Modifier categories whose scope ends at a modifier of these categories."""
    return dict(knowledge.terminating)


def resolved_literals(knowledge: ExtractionKnowledge) -> frozenset[str]:
    """Literals of the HISTORICAL cues that say a problem is over ("has resolved", "gone")."""
    return frozenset(
        [c.literal for c in knowledge.defaults if c.resolved]
        + [r.literal for r in knowledge.context_rules if r.resolved]
    )


def plan_literals(knowledge: ExtractionKnowledge) -> frozenset[str]:
    """Literals of the cues that are a plan too ("not going to order")."""
    return frozenset(r.literal for r in knowledge.context_rules if r.plan)
