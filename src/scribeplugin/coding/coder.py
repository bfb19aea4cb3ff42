"""The state one visit's coding builds up, shared by the resolvers (``spine``, ``injuries``,
``symptoms``) in the order ``analysis.propose`` runs them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scribeplugin.coding.facts import Facts, Proposal
from scribeplugin.coding.regions import NEAR, by_region, leaf_for_region, near_region, own_region
from scribeplugin.knowledge.coding import Table

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet
    from scribeplugin.extract.findings import Finding


@dataclass
class Coder:
    facts: Facts
    cs: CodeSet
    out: list[Proposal] = field(default_factory=list)
    # Regions whose radiculopathy a disc or spondylosis code already carries.
    explained_radiculopathy: set[str | None] = field(default_factory=set)
    # Filled by the spine resolvers for the ones after them.
    herniated: dict[str | None, list[Finding]] = field(default_factory=dict)
    torn: dict[str | None, list[Finding]] = field(default_factory=dict)
    subluxed: dict[str | None, list[Finding]] = field(default_factory=dict)
    # The Alphabetic Index (``limbs`` walks it), and the index path each code came from.
    index: Any = None
    index_paths: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A disc or a vertebra the clinician calls traumatic is an injury of this encounter:
        # coded in chapter 19 (``injuries``), not as M50/M51 or M43.1, which exclude it.
        self.torn = by_region(self.facts, "traumatic_disc_rupture")
        self.subluxed = by_region(self.facts, "traumatic_subluxation")
        self.link_doubted = self.facts.link_doubted()
        self.non_spinal = self.facts.has("kidney_stone", "non_spinal_cause")

    @property
    def k(self) -> Any:
        return self.facts.knowledge

    def table(self, name: str) -> Table:
        return self.facts.knowledge.table(name)

    def leaf(self, category: str, region: str | None) -> str | None:
        return leaf_for_region(self.cs, self.facts.knowledge, category, region)

    def region_ev(self, f: Finding, region: str | None) -> list[Finding]:
        """The mentions that show ``f`` is at ``region``: its own level or region word, or, for
        a condition listed at several regions ("at L4-L5 and L5-S1"), that region's level."""
        facts = self.facts
        ev = [e for e in near_region(f, facts)[1] if own_region(e, facts) in (region, None)]
        if region is None or ev or own_region(f, facts) == region:
            return ev
        listed = [
            e
            for e in facts.near(f.turn_index, f.end, f.end + NEAR)
            if e.concept == "level"
            and own_region(e, facts) == region
            and 0 <= e.start - f.end <= NEAR
        ]
        return [min(listed, key=lambda e: e.start)] if listed else []

    def add(
        self, category: str, path: str, anchor: list[Finding], region: str | None, **kw: Any
    ) -> None:
        """The leaf of ``category`` at ``region``; only the category (and a query for the
        region or level) when the region does not pick one."""
        code = self.leaf(category, region)
        if code is None:
            self.out.append(
                Proposal(category, path, anchor, confident=False, missing=["level_or_region"], **kw)
            )
        else:
            self.out.append(Proposal(code, path, anchor + self.region_ev(anchor[0], region), **kw))
