"""Spine conditions -> codes: the most specific billable code per documented region.

Disc displacement and degeneration, stenosis, spondylosis, slips, disc and bone infection,
instability and the named dorsopathies. The codes come from the knowledge's ``tables`` (one per
resolver below) and ``named``; the region picks the leaf (``regions.leaf_for_region``).
"""

from __future__ import annotations

from scribeplugin.coding.coder import Coder
from scribeplugin.coding.facts import Proposal
from scribeplugin.coding.regions import by_region, in_region, leaf_for_level


def _pain_pattern(back: bool, leg: bool) -> str:
    if back and leg:
        return "with discogenic back pain and lower extremity pain"
    if back:
        return "with discogenic back pain only"
    if leg:
        return "with lower extremity pain only"
    return "without mention of lumbar back pain or lower extremity pain"


def _with_pattern(c: Coder, subcat: str, back: bool, leg: bool) -> list[str]:
    wanted = _pain_pattern(back, leg)
    return [
        code
        for code in c.cs.billable_descendants(subcat)
        if c.cs.lookup(code).description.endswith(wanted)
    ]


def discs(c: Coder) -> None:
    """Disc displacement (herniation) with or without radiculopathy, then disc degeneration."""
    facts, cs, t = c.facts, c.cs, c.table("disc_displacement")
    radicular_all = facts.get("radiculopathy", "sciatica")
    c.herniated = {r: f for r, f in by_region(facts, "disc_herniation").items() if r not in c.torn}
    for region, found in c.herniated.items():
        f = found[0]
        radicular = in_region(radicular_all, region, facts)
        if c.link_doubted:
            # Sciatica the clinician does not put down to the disc is coded on its own.
            radicular = [r for r in radicular if r.concept == "radiculopathy"]
        if region == "region_cervical":
            key = "cervical_with_radiculopathy" if radicular else "cervical"
            category = t.code(key)
            code = leaf_for_level(cs, category, f.level) or c.leaf(category, region)
            c.out.append(
                Proposal(
                    code or category,
                    "cervical_disc",
                    [f, *radicular[:1]],
                    naive=t.codes(f"careless_{key}"),
                )
            )
            c.explained_radiculopathy.add(region)
        elif radicular:
            c.add(
                t.code("with_radiculopathy"),
                "disc_herniation+radiculopathy",
                [f, *radicular[:1]],
                region,
                naive=t.codes("careless_with_radiculopathy"),
            )
            c.explained_radiculopathy.add(region)
        else:
            c.add(t.code("plain"), "disc_herniation", [f], region, naive=t.codes("careless"))
    _degeneration(c)


def _degeneration(c: Coder) -> None:
    """With radiculopathy a disc disorder with radiculopathy; otherwise the pain pattern picks
    the FY2025 leaf."""
    facts, cs, t = c.facts, c.cs, c.table("disc_degeneration")
    for region, found in by_region(facts, "disc_degeneration").items():
        f = found[0]
        radicular = in_region(facts.get("radiculopathy"), region, facts)
        if region == "region_lumbosacral" and not any(x.level for x in found):
            # "Lumbosacral DDD" with no level: many clinicians mean the whole low back, and the
            # code follows the disc (L5-S1 is M51.37-, L4-L5 M51.36-), so ask for the level.
            c.add(
                t.code("category"),
                "disc_degeneration",
                [f],
                None,
                naive=t.codes("careless_lumbosacral_without_level"),
            )
            continue
        if region in {"region_lumbar", "region_lumbosacral"}:
            subcat = t.code("lumbar" if region == "region_lumbar" else "lumbosacral")
            if radicular and region not in c.herniated:
                # The careless pick: the degeneration code for the pain pattern, root pain
                # counted as leg pain (M51.362 for back and leg pain at L4-L5).
                back = bool(facts.get("low_back_pain", "back_pain"))
                c.add(
                    t.code("with_radiculopathy"),
                    "disc_degeneration+radiculopathy",
                    [f, radicular[0]],
                    region,
                    naive=[
                        *t.codes("careless_with_radiculopathy"),
                        *_with_pattern(c, subcat, back, True),
                    ],
                )
                c.explained_radiculopathy.add(region)
                continue
            # Pain at a level where a disc displacement is also documented belongs to the
            # displacement; the degeneration is then coded without a pain pattern.
            displaced = region in c.herniated or c.link_doubted
            back_ev = [] if displaced else facts.get("low_back_pain", "back_pain")
            leg_ev = (
                [] if displaced else in_region(facts.get("leg_pain", "sciatica"), region, facts)
            )
            code = _with_pattern(c, subcat, bool(back_ev), bool(leg_ev))[0]
            c.out.append(
                Proposal(
                    code,
                    "disc_degeneration",
                    [f, *c.region_ev(f, region), *back_ev[:1], *leg_ev[:1]],
                    naive=t.codes("careless"),
                )
            )
        elif region == "region_cervical":
            cervical = t.code("cervical")
            leaf = leaf_for_level(cs, cervical, f.level) or c.leaf(cervical, region)
            c.out.append(Proposal(leaf or cervical, "cervical_disc_degeneration", [f]))
        else:
            c.add(t.code("category"), "disc_degeneration", [f], region)


def stenosis(c: Coder) -> None:
    """Spinal stenosis: the lumbar codes split on neurogenic claudication."""
    facts, t = c.facts, c.table("stenosis")
    claud = facts.get("neurogenic_claudication")
    for region, found in by_region(facts, "spinal_stenosis").items():
        f = found[0]
        if region == "region_lumbar":
            if claud:
                c.out.append(
                    Proposal(
                        t.code("lumbar_with_claudication"),
                        "stenosis+claudication",
                        [f, *c.region_ev(f, region), claud[0]],
                        naive=t.codes("careless_lumbar_with_claudication"),
                    )
                )
            else:
                p = Proposal(
                    t.code("lumbar"),
                    "stenosis",
                    [f, *c.region_ev(f, region)],
                    naive=t.codes("careless_lumbar"),
                )
                if not facts.denied("neurogenic_claudication"):
                    p.ask.append("neurogenic_claudication")
                c.out.append(p)
        else:
            naive = t.codes("careless_with_claudication") if claud else []
            c.add(t.code("category"), "stenosis", [f], region, naive=naive)


def spondylosis(c: Coder) -> None:
    """Spondylosis (facet arthropathy): with myelopathy, with radiculopathy, or neither."""
    facts, t = c.facts, c.table("spondylosis")
    radicular_all = facts.get("radiculopathy", "sciatica")
    # "X-rays show degenerative changes and osteophytes" placed nowhere is the spine's only in a
    # visit about the spine, not in a knee or shoulder visit (as a strain placed nowhere)
    spine_visit = facts.about_spine()
    for region, found in by_region(facts, "spondylosis", "facet_arthropathy").items():
        if region is None and not spine_visit:
            continue
        f = found[0]
        radicular = in_region(radicular_all, region, facts)
        if in_region(facts.get("myelopathy"), region, facts):
            c.add(
                t.code("with_myelopathy"),
                "spondylosis+myelopathy",
                [f, *facts.get("myelopathy")[:1]],
                region,
                naive=t.codes("careless_with_myelopathy"),
            )
        elif radicular and region not in c.herniated:
            c.add(
                t.code("with_radiculopathy"),
                "spondylosis+radiculopathy",
                [f, *radicular[:1]],
                region,
                naive=t.codes("careless_with_radiculopathy"),
            )
            c.explained_radiculopathy.add(region)
        else:
            c.add(t.code("plain"), "spondylosis", [f], region, naive=t.codes("careless"))


def segments(c: Coder) -> None:
    """Slips, disc infection and instability by region (slips and infection have a "multiple
    sites" code), a congenital slip, and vertebral osteomyelitis."""
    facts, has = c.facts, c.facts.has
    if has("congenital") and has("spondylolisthesis"):
        # A congenital (dysplastic) slip is a malformation, not M43.1-.
        congenital = c.table("congenital_spondylolisthesis")
        c.out.append(
            Proposal(
                congenital.code("code"),
                "congenital_spondylolisthesis",
                [facts.get("spondylolisthesis")[0], facts.get("congenital")[0]],
                naive=congenital.codes("careless"),
            )
        )
    t = c.table("segments")
    discitis = "pyogenic_discitis" if has("pyogenic") else "discitis"
    for concept, key, multiple in (
        ("spondylolisthesis", "spondylolisthesis", "spondylolisthesis_multiple"),
        ("discitis", discitis, f"{discitis}_multiple"),
        ("instability", "instability", None),
    ):
        if concept == "spondylolisthesis" and has("congenital"):
            continue
        groups = by_region(facts, concept)
        if concept == "spondylolisthesis":
            groups = {r: f for r, f in groups.items() if r not in c.subluxed}
        if multiple and len([r for r in groups if r]) >= 2:
            found = [g[0] for g in groups.values()]
            c.out.append(Proposal(t.code(multiple), f"{concept}_multiple", found))
            continue
        naive = t.codes("careless_instability") if concept == "instability" else []
        for region, found in groups.items():
            c.add(t.code(key), concept, [found[0]], region, naive=naive)
    # The bone's infection has its own code beside the disc's.
    for region, found in by_region(facts, "vertebral_osteomyelitis").items():
        c.add(t.code("vertebral_osteomyelitis"), "vertebral_osteomyelitis", [found[0]], region)


def other_dorsopathies(c: Coder) -> None:
    """Named disorders: a lumbosacral ligament syndrome no category covers (other specified
    dorsopathy by region), kissing spine, spondylolysis, and the ``named`` conditions."""
    facts, t = c.facts, c.table("other_dorsopathies")
    for region, found in by_region(facts, "ligament_syndrome").items():
        c.add(
            t.code("ligament_syndrome"),
            "other_specified_dorsopathy",
            [found[0]],
            region if region in facts.knowledge.regions else "region_lumbosacral",
            naive=t.codes("careless_ligament_syndrome"),
        )
    for region, found in by_region(facts, "kissing_spine").items():
        c.add(
            t.code("kissing_spine"),
            "kissing_spine",
            [found[0]],
            region,
            naive=t.codes("careless_kissing_spine"),
        )
    for region, found in by_region(facts, "spondylolysis").items():
        if not facts.has("spondylolisthesis"):
            c.add(
                t.code("spondylolysis"),
                "spondylolysis",
                [found[0]],
                region,
                naive=t.codes("careless_spondylolysis"),
            )
    for concept, named in facts.knowledge.named.items():
        for f in facts.get(concept)[:1]:
            c.out.append(Proposal(named.code, concept, [f], naive=list(named.naive)))
