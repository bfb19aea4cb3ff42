"""Spine symptoms -> codes, only where no confirmed diagnosis of the region explains them:
radiculopathy no disc or spondylosis explains, sciatica (with or without lumbago), low back,
neck and unspecified back pain, an unnamed dorsopathy; and the codes a careless coder would
take from the symptoms alone (``naive_codes``). Codes from the knowledge's ``symptoms`` table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scribeplugin.coding.coder import Coder
from scribeplugin.coding.facts import Facts, Proposal
from scribeplugin.coding.regions import (
    by_region,
    dominant_region,
    leaf_for_region,
    leaf_for_side,
    side_of,
)

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet
    from scribeplugin.extract.findings import Finding


def radiculopathy(c: Coder) -> None:
    """Radiculopathy that no disc or spondylosis of its region explains."""
    facts, t = c.facts, c.table("symptoms")
    for region, found in by_region(facts, "radiculopathy").items():
        if region in c.explained_radiculopathy or (region is None and c.explained_radiculopathy):
            continue
        # The slip the seed page made: radiculopathy as M54.4- (lumbago with sciatica), on the
        # documented side.
        side, _ = side_of(facts, found)
        sides = ("right", "left") if side == "bilateral" else (side,)
        careless = [leaf_for_side(c.cs, t.code("lumbago_with_sciatica"), s) for s in sides]
        c.add(t.code("radiculopathy"), "radiculopathy", [found[0]], region, naive=careless)
        c.explained_radiculopathy.add(region)


def symptoms(c: Coder) -> None:
    """Symptom codes, only when no confirmed diagnosis of that region explains them. After a
    sequela the residual condition is coded first, beside the injury code with S."""
    facts, cs, has, t, out = c.facts, c.cs, c.facts.has, c.table("symptoms"), c.out
    sequela = has("sequela_encounter")
    described = [cs.lookup(p.code).description.lower() for p in out if cs.get(p.code)]
    # A sequela code or a disc degeneration coded "without mention of pain" explains no pain.
    painless = set(t.codes("painless"))
    explains = facts.knowledge.explains_low_back
    low_back_dx = any(
        p.code.startswith(explains)
        for p in out
        if not p.code.endswith("S") and p.code not in painless
    )
    neck_dx = any("cervical" in d or "neck" in d for d in described) and not sequela
    if (
        has("sciatica")
        and (not low_back_dx or c.link_doubted)
        and not c.explained_radiculopathy
        and not c.non_spinal
        and not has("sciatic_nerve_lesion")  # M54.3 Excludes1: lesion of sciatic nerve (G57.0-)
    ):
        sci = facts.get("sciatica")
        side, side_ev = side_of(facts, sci)
        lumbago = has("low_back_pain")
        path = "lumbago_with_sciatica" if lumbago else "sciatica"
        # No code says "bilateral": both legs are coded right and left.
        for one_side in ("right", "left") if side == "bilateral" else (side,):
            out.append(
                Proposal(
                    leaf_for_side(cs, t.code(path), one_side),
                    path,
                    [sci[0], *facts.get("low_back_pain")[:1], *side_ev],
                    missing=[] if side else ["laterality"],
                )
            )
        low_back_dx = True
    if has("low_back_pain") and not low_back_dx and not c.non_spinal:
        lbp = facts.get("low_back_pain")
        if has("vertebrogenic_pain"):
            out.append(
                Proposal(
                    t.code("vertebrogenic_low_back_pain"),
                    "vertebrogenic_low_back_pain",
                    [*lbp[:1], facts.get("vertebrogenic_pain")[0]],
                    naive=t.codes("careless_vertebrogenic_low_back_pain"),
                )
            )
        else:
            out.append(
                Proposal(
                    t.code("low_back_pain"),
                    "low_back_pain",
                    lbp[:1],
                    naive=t.codes("careless_low_back_pain"),
                )
            )
        low_back_dx = True
    if has("neck_pain") and not neck_dx:
        out.append(Proposal(t.code("neck_pain"), "neck_pain", facts.get("neck_pain")[:1]))
        neck_dx = True
    if has("back_pain") and not (low_back_dx or c.non_spinal):
        if has("region_thoracic"):
            # "back pain" where the visit names the upper back: thoracic, beside the neck's pain
            # ("in your neck and your upper back") when that is coded too
            ev = facts.get("back_pain")[:1]
            out.append(Proposal(t.code("thoracic_pain"), "thoracic_pain", ev))
        elif not (neck_dx or out):
            out.append(
                Proposal(
                    t.code("back_pain_unspecified"),
                    "back_pain_unspecified",
                    facts.get("back_pain")[:1],
                    confident=False,
                    missing=["level_or_region"],
                )
            )
    if has("dorsopathy") and not out:
        out.append(
            Proposal(
                t.code("dorsopathy_unspecified"),
                "dorsopathy_unspecified",
                facts.get("dorsopathy")[:1],
                confident=False,
                missing=["named_condition"],
            )
        )


def naive_codes(facts: Facts, cs: CodeSet) -> dict[str, list[Finding]]:
    """Codes the symptoms alone would suggest to a careless coder, with the findings that would
    suggest them. They are never suggested; they let the pitfall rules about them fire and
    explain why the real code differs."""
    k, t = facts.knowledge, facts.knowledge.table("symptoms")
    out: dict[str, list[Finding]] = {}
    # The symptoms the patient alone reports count here: "my sciatica" is what would lead a
    # careless coder to M54.3- even when no clinician takes the word up.
    said = [*facts.present, *(f for f in facts.reported if f.category == "symptom")]

    def get(*concepts: str) -> list[Finding]:
        return [f for f in said if f.concept in concepts]

    def has(*concepts: str) -> bool:
        return bool(get(*concepts))

    # Pain down the leg reads as sciatica to a careless coder in a visit about the spine, not
    # in a knee visit ("a shooting pain down to my ankle" when the kneecap is moved).
    radiating = get("sciatica", "leg_pain") if facts.about_spine() else get("sciatica")
    side, _ = side_of(facts, radiating)
    sides = ("right", "left") if side == "bilateral" else (side,)
    if radiating:
        # "the sciatica and the back pain" in a low back visit reads as lumbago with sciatica.
        lumbago = has("low_back_pain") or (
            has("back_pain") and dominant_region(facts)[0] in k.group("low_back_regions")
        )
        category = t.code("lumbago_with_sciatica" if lumbago else "sciatica")
        for s in sides:
            out.setdefault(leaf_for_side(cs, category, s), radiating[:1])
    if has("low_back_pain"):
        out.setdefault(t.code("low_back_pain"), get("low_back_pain")[:1])
    if has("neck_pain"):
        out.setdefault(t.code("neck_pain"), get("neck_pain")[:1])
    for region, found in by_region(facts, "radiculopathy").items():
        code = leaf_for_region(cs, k, t.code("radiculopathy"), region)
        if code:
            out.setdefault(code, found[:1])
    if has("neurogenic_claudication"):
        out.setdefault(t.code("neurogenic_claudication"), get("neurogenic_claudication")[:1])
    return out
