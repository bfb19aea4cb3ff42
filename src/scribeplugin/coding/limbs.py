"""Conditions of the limbs -> codes, the way a coder finds them: the Alphabetic Index first, then
the tabular list.

For each condition the clinician concluded at a limb site, the knowledge's ``limbs`` section
gives the *route*: the index path a coder walks for that site, structure or digit ("Sprain >
knee > collateral ligament > medial" -> S83.41-). The index is walked for real when it is
loaded (and its entry cited); the route's own code stands in when it is not. The category is
then completed in the tabular list (``complete``): side, digit, displacement, encounter. An
axis the transcript leaves open keeps the code ``needs_documentation`` with a query naming it.

A diagnosis stated only as possible is not coded (outpatient rule IV.H): the pain of its site
is, when the visit documents that pain, and its query asks the clinician to confirm. Pain of a
site the clinician assesses is coded when no confirmed diagnosis of that site explains it. A
site the knowledge has no route for gets no code, rather than a wrong one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from scribeplugin.coding import limb_words as words
from scribeplugin.coding.coder import Coder
from scribeplugin.coding.complete import Completion, Wanted, complete, side_of_description
from scribeplugin.coding.facts import Facts, Proposal
from scribeplugin.coding.injuries import encounter_of, visit_seventh
from scribeplugin.coding.limb_places import side_of_site, turn_digit, where_ev
from scribeplugin.knowledge.coding import Where

if TYPE_CHECKING:
    from scribeplugin.extract.findings import Finding
    from scribeplugin.knowledge.coding import LimbCondition, Route


class IndexLookup(Protocol):
    """What the coding step needs of the Alphabetic Index (``scribeplugin.alphabetic``)."""

    def lookup(self, main_term: str, *subterms: str) -> Any: ...


DIGIT = {
    "digit_thumb": "thumb",
    "digit_index": "index",
    "digit_middle": "middle",
    "digit_ring": "ring",
    "digit_little": "little",
    "digit_great_toe": "great",
    "digit_lesser_toe": "lesser",
}


def category_of(route: Route, index: IndexLookup | None) -> tuple[str, str | None]:
    """The category a route leads to, and the index path walked (None when not walked).

    The index is the authority; a route whose walk ends elsewhere than its stated code (a
    release that moved an entry) keeps the stated code, which the lint then reports."""
    if index is not None:
        hit = index.lookup(*route.index)
        code = getattr(hit, "code", None)
        if code and route.given_by(code):
            # the entry's path names its chunk in the index ("Sprain > knee > ...")
            entry = getattr(hit, "entry", None)
            return route.code, entry.path_text if entry is not None else None
    return route.code, None


def limbs(c: Coder) -> None:
    """Every limb condition the clinician concluded, then the pain of sites left uncoded."""
    _fragility(c)
    facts = c.facts
    conditions = facts.knowledge.limb_conditions
    coded_sites: set[tuple[str | None, str | None]] = set()
    seen: set[tuple[str, str | None, str | None, str | None, str | None]] = set()
    signs: list[tuple[str | None, str]] = []  # (site, code) of signs of a deeper injury
    # Sited findings, and the systemic conditions (gout, rheumatoid arthritis...) with no site:
    # never a condition the clinician placed in the spine (arthritis of the back is spondylosis).
    # With no site, only a disease the clinician diagnoses or acts on ("I want to check on your
    # osteoporosis"): one named in a list of the patient's problems ("multiple joint disease
    # including gout, arthritis, both rheumatoid and DJD") is not one this visit addressed.
    systemic = [
        f
        for f in facts.present
        if f.concept in conditions and f.region is None and f.from_assessment
    ]
    tophi = words.tophus(facts)  # the visit's, not one finding's
    for f in [*facts.limb, *systemic]:
        limb = conditions.get(f.concept)
        if limb is None or (limb.assessed and not (_concluded(f) or _recovering(facts, limb, f))):
            continue
        sign = _sign_of_deeper(facts, f)
        digit_ev = turn_digit(facts, f)
        if digit_ev:
            f = replace(f, digit=digit_ev[0].concept)
        side, side_ev = side_of_site(facts, f)
        key = (f.concept, f.site, f.structure, f.digit, side)
        if key in seen:
            continue
        displaced = words.displaced(facts, f)
        route = limb.route(
            Where(
                f.site,
                f.structure,
                f.digit,
                side,
                words.parts_said(facts, f, limb.parts),
                nondisplaced=displaced is False,
            )
        )
        if route is None:
            if not limb.routes:  # a treatment coded only by the recovery after it
                _aftercare(c, limb, f, [f, *where_ev(facts, f), *side_ev])
                seen.add(key)
            continue  # a site the knowledge cannot code yet: no code rather than a wrong one
        if not sign:
            seen.add(key)
        category, walked = category_of(route, c.index)
        wanted = Wanted(
            side=side,
            digit=DIGIT.get(f.digit or ""),
            displaced=displaced,
            open_fracture=words.stated(facts, f, "fracture_open"),
            encounter=words.healing(facts, f)
            or (encounter_of(f, facts, visit_seventh(facts)) if limb.injury else "A"),
            subluxation=bool(facts.knowledge.phrase("subluxation").search(f.text)),
            tophus=tophi,
            # which meniscus, as the route's Index path names it ("..., due to old tear, medial")
            meniscus=next((t for t in route.index if t in ("medial", "lateral")), None),
        )
        done = complete(c.cs, category, wanted)
        if sign:
            # not coded; the code a careless coder would add lets the pitfall rules about it fire
            signs.extend((f.site, code) for code in done.codes)
            continue
        evidence = [f, *where_ev(facts, f), *digit_ev, *side_ev]
        _aftercare(c, limb, f, evidence)
        _propose(c, done, f"limb:{f.concept}", evidence, walked, [*limb.naive, *route.naive])
        if limb.explains_pain:
            coded_sites.add((f.site, side))
    _drop_site_only(c)
    _drop_superseded(c, conditions)
    for site, code in signs:
        deeper = next((p for p in c.out if p.evidence and p.evidence[0].site == site), None)
        if deeper is not None and code not in deeper.naive:
            deeper.naive.append(code)
    _pain(c, coded_sites)
    _sides_in_conflict(c)


def _recovering(facts: Facts, limb: LimbCondition, f: Finding) -> bool:
    """Are the words of its aftercare said near this mention ("you're six weeks out from your
    right total knee replacement ... continue PT")? The recovery is then what the visit is for,
    and the status the clinician monitors is coded without an assessment cue; a mere question
    about it ("how is your knee replacement doing?") is not."""
    route = limb.aftercare
    return route is not None and route.matches(Where(parts=words.parts_said(facts, f, route.part)))


def _aftercare(c: Coder, limb: LimbCondition, f: Finding, evidence: list[Finding]) -> None:
    """The code of a visit for the recovery after the condition's treatment (``aftercare``:
    Z47.1 after a joint replacement), first-listed before the condition's own, when the words
    of its kind are said near any mention of it at its place ("three weeks after your right knee
    replacement ... Assessment: right knee replacement, recovering well") and no condition of
    ``aftercare_not_with`` is at its site."""
    route, facts = limb.aftercare, c.facts
    if route is None or not _recovering(facts, limb, f):
        return
    if any(g.concept in limb.aftercare_not_with and g.site == f.site for g in facts.limb):
        return
    category, walked = category_of(route, c.index)
    _propose(c, complete(c.cs, category, Wanted()), f"limb:{f.concept}:aftercare", evidence, walked)


def _propose(
    c: Coder,
    done: Completion,
    path: str,
    evidence: list[Finding],
    walked: str | None,
    naive: list[str] | None = None,
) -> None:
    """The codes a completion gave, each proposed on the evidence (a code with an axis left
    open asks for it), with the Alphabetic Index entry it was found by."""
    for code in done.codes:
        c.out.append(
            Proposal(
                code,
                path,
                list(evidence),
                confident=not done.missing,
                missing=list(done.missing),
                naive=list(naive or []),
            )
        )
        c.index_paths.setdefault(code, walked)


def _sides_in_conflict(c: Coder) -> None:
    """One problem of a site coded on the right from one mention and on the left from another,
    when nobody says both sides ("your left shoulder pain ... your right shoulder"): the side is
    in doubt, so both codes ask for it rather than be suggested."""
    groups: dict[tuple[str, str | None], list[tuple[Proposal, str | None]]] = {}
    for p in c.out:
        if not p.evidence or p.evidence[0].site is None:
            continue
        groups.setdefault((p.path, p.evidence[0].site), []).append((p, _side_of_code(c, p.code)))
    bilateral = {f.site for f in (*c.facts.limb, *c.facts.uncertain) if f.laterality == "bilateral"}
    for (_, site), group in groups.items():
        right = {id(p.evidence[0]) for p, side in group if side == "right"}
        left = {id(p.evidence[0]) for p, side in group if side == "left"}
        if not right or not left or right == left or site in bilateral:
            continue  # one side, or both from one mention ("both knees")
        for p, _ in group:
            p.confident = False
            if "laterality" not in p.missing:
                p.missing.append("laterality")


def _concluded(f: Finding) -> bool:
    """The clinician's conclusion: from the assessment, and not only because a plan cue shares
    its sentence ("I would like to do a focused exam ... there is some bruising")."""
    if not f.from_assessment:
        return False
    kinds = {cue.partition(":")[0] for cue in f.cues}
    return "PLAN" not in kinds or bool(kinds & {"ASSESSMENT", "GUESS"})


def _sign_of_deeper(facts: Facts, f: Finding) -> bool:
    """Is this finding the sign of a deeper condition of its site (``sign_of``), found present
    or suspected: the bruise of a sprained ankle?"""
    deeper = facts.knowledge.limb_conditions[f.concept].sign_of
    if not deeper or f.site is None:
        return False
    return any(
        g.concept in deeper
        and g.site == f.site
        and (None in (g.laterality, f.laterality) or g.laterality == f.laterality)
        for g in (*facts.limb, *facts.uncertain)
    )


def _drop_superseded(c: Coder, conditions: dict[str, LimbCondition]) -> None:
    """A code another condition's code replaces (``supersedes``): at the same site and side, or
    wherever it is when it has no site (a fragility fracture's M80.0- replaces both the
    fracture's S code at its site and the osteoporosis code M81.0, which Excludes1 M80; the
    right knee's replacement, the right knee's osteoarthritis and the bilateral code, but not
    the left knee's)."""
    gone: set[tuple[str, str | None, str | None]] = set()
    for p in c.out:
        for f in p.evidence[:1]:
            if f.concept in conditions:
                side = _side_of_code(c, p.code)
                gone.update((old, f.site, side) for old in conditions[f.concept].supersedes)
    superseders = {old for old, _, _ in gone}

    def replaced(p: Proposal) -> bool:
        if not p.evidence:
            return False
        f = p.evidence[0]
        if f.site is None:
            return f.concept in superseders
        side = _side_of_code(c, p.code)
        # a bilateral code is untrue once either side is replaced ("osteoarthritis of both
        # knees, status post right knee replacement": no M17.0)
        return any(
            (f.concept, f.site) == (old, site)
            and (side == other or None in (side, other) or side == "bilateral")
            for old, site, other in gone
        )

    c.out = [p for p in c.out if not replaced(p)]


def _side_of_code(c: Coder, code: str) -> str | None:
    """The side a code's description names (None: no side, or "unspecified")."""
    entry = c.cs.get(code)
    side = side_of_description(entry.description.lower()) if entry is not None else None
    return None if side == "unspecified" else side


def _fragility(c: Coder) -> None:
    """A fracture of a limb site the clinician calls a fragility or osteoporotic fracture in
    the same turn is that site's osteoporotic fracture, not the vertebra's."""
    facts = c.facts
    fragile = [f for f in facts.present if f.concept == "osteoporotic_fracture" and not f.site]
    if not fragile:
        return
    turns = {f.turn_index for f in fragile}
    fractures = [f for f in facts.limb if f.concept == "fracture" and f.turn_index in turns]
    if not fractures:
        return
    facts.limb = [
        replace(f, concept="osteoporotic_fracture")
        if f.concept == "fracture" and f.turn_index in turns
        else f
        for f in facts.limb
    ]
    c.out = [p for p in c.out if p.path != "osteoporotic_fracture"]


def _drop_site_only(c: Coder) -> None:
    """A code of the site alone (S83.9- sprain of the knee) gives way to a code of a named
    structure of the same site, side, condition and category (S83.41- the MCL): "an MCL strain
    ... you strained that ligament" is one injury; the cuff's tendinitis (M75.81) and the
    shoulder's bursitis (M75.51) are two conditions."""
    limb = [p for p in c.out if p.path.startswith("limb:")]
    specific = {
        (p.path, p.code[:3], f.site, f.laterality)
        for p in limb
        for f in p.evidence[:1]
        if f.structure or f.digit
    }
    c.out = [
        p
        for p in c.out
        if not (
            p.path.startswith("limb:")
            and p.evidence
            and not (p.evidence[0].structure or p.evidence[0].digit)
            and (p.path, p.code[:3], p.evidence[0].site, p.evidence[0].laterality) in specific
        )
    ]


def _pain(c: Coder, coded: set[tuple[str | None, str | None]]) -> None:
    """Pain of a site no diagnosis explains: for a diagnosis withheld as uncertain, and for pain
    the clinician addresses."""
    facts = c.facts
    uncertain_sites = {f.site for f in facts.uncertain if f.site and f.category == "condition"}
    if any(f.category == "condition" and _systemic(facts, f) for f in facts.uncertain):
        # a systemic diagnosis withheld ("it could've been gout"): the pain it would explain is
        # the pain of the sites the clinician takes up ("how long have you had that foot pain?")
        uncertain_sites |= {
            f.site
            for f in (*facts.limb, *facts.uncertain)
            if f.concept == "limb_pain" and f.site and f.speaker != "patient"
        }
    addressed = {f.site for f in _clinician_findings(facts) if f.site and f.from_assessment}
    # "my left knee doesn't really hurt": a side whose pain is denied
    denied = {(f.site, f.laterality) for f in facts.negated if f.concept == "limb_pain"}
    seen: set[tuple[str, str | None]] = set()
    for f in facts.limb:
        if f.concept != "limb_pain" or f.site is None:
            continue
        side, side_ev = side_of_site(facts, f)
        if (
            (f.site, side) in coded
            or (f.site, "bilateral") in coded  # osteoarthritis of both knees explains either's
            or any(s == f.site and side is None for s, _ in coded)
        ):
            continue
        if side == "bilateral":
            # "both knees hurt" and the right knee's sprain coded: the left knee's pain is left;
            # "both knees", then "my left knee doesn't really hurt": the right knee's
            open_sides = [
                s
                for s in ("right", "left")
                if (f.site, s) not in coded and (f.site, s) not in denied
            ]
            if not open_sides:
                continue
            if len(open_sides) == 1:
                side, side_ev = open_sides[0], []
        if f.site not in uncertain_sites and f.site not in addressed:
            continue  # pain nobody addresses (a review of systems, a passing mention)
        route = facts.knowledge.pain.get(f.site)
        if route is None or (f.site, side) in seen:
            continue
        seen.add((f.site, side))
        category, walked = category_of(route, c.index)
        wanted = Wanted(side=side, digit=DIGIT.get(f.digit or ""), whole=route.whole)
        done = complete(c.cs, category, wanted)
        path = "symptom_for_uncertain" if f.site in uncertain_sites else "limb_pain"
        _propose(c, done, path, [f, *where_ev(facts, f), *side_ev], walked)


def _systemic(facts: Facts, f: Finding) -> bool:
    """A disease of the whole body named with no one site ("it could've been gout")."""
    limb = facts.knowledge.limb_conditions.get(f.concept)
    return limb is not None and limb.systemic and f.site is None and f.region is None


def _clinician_findings(facts: Facts) -> Iterable[Finding]:
    for group in (facts.limb, facts.present, facts.uncertain):
        for f in group:
            if f.speaker != "patient":
                yield f
