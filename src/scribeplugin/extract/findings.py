"""Findings: concepts found in the transcript, with offsets, speaker and a dialogue-aware assertion.

How it works, in order:

1. ``units.split_units`` cuts every turn into sentence-sized units (turns, line breaks, spaced or
   unspaced punctuation, a comma before a new subject, a leading "no,"), so ASR text never
   becomes one giant sentence.
2. Each unit is its own medspaCy doc: the medspaCy tokenizer, a small tagger that marks
   "left"/"right" used as laterality, the TargetRules of ``rules.py`` (``matching``), and
   ConText (its default English rules, adjusted, plus custom ones) only where a target was
   found. Both rule sets run on ``patterns.TokenPatterns``: spaCy's Matcher semantics, run as
   one lazily built automaton over all patterns.
3. Each target becomes a finding whose assertion comes from its ConText modifiers, read with the
   speaker in mind: "I think it's a slipped disc" is a guess from a patient but an impression
   from a clinician.
4. Dialogue passes: a finding in a clinician's question takes its assertion from the answer
   ("any numbness?" / "no" -> negated; "yes, in my left foot" -> present, left); unanswered
   questions stay possible; a clinician proposal the patient rejects is negated; a patient's
   guess the clinician confirms is present; the clinician's assessment of a condition outweighs
   what the patient said about it; what a document says ("the report says ...") is possible
   until the clinician affirms it; "It's completely gone." makes the problem of the unit before
   it historical, and the clinician saying a problem has resolved makes its earlier mentions
   historical too.
5. Level, region and laterality are attached from the finding's own words or the nearest
   mention in the same unit. A root or lone vertebra ("L5 radiculopathy", "instability at L5")
   is not a segment: its region comes from a segment through it in the same unit or turn
   (``_place``). A condition mentioned without a place takes the one its other mentions agree
   on (``_share_places``).

``transcript.text[f.start:f.end] == f.text`` holds for every finding, by construction.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from scribeplugin.concepts import CONCEPTS, Category
from scribeplugin.extract import normalize, rules
from scribeplugin.extract.matching import TargetSpans
from scribeplugin.extract.patterns import index_medspacy_matcher
from scribeplugin.extract.transcript import Speaker, Transcript, parse_transcript
from scribeplugin.extract.units import Unit, split_units

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

log = logging.getLogger(__name__)

Assertion = Literal["present", "negated", "possible", "historical", "family"]
_WHERE = {Category.region, Category.level, Category.laterality}
_LEVEL_CATS = {Category.condition, Category.symptom, Category.imaging, Category.treatment}
_LATERAL_CATS = {
    Category.condition,
    Category.symptom,
    Category.treatment,
    Category.level,
    Category.region,
}
_CONDITION_CATS = {Category.condition, Category.cause}


@dataclass(frozen=True, slots=True)
class Finding:
    """One concept mentioned in the transcript. ``text == transcript.text[start:end]``."""

    concept: str  # a scribeplugin.concepts.CONCEPTS id
    category: Category
    text: str
    start: int
    end: int
    speaker: Speaker
    turn_index: int
    assertion: Assertion = "present"
    level: str | None = None  # "L5-S1", "C5-C6", "L4"
    region: str | None = None  # a region concept id
    laterality: str | None = None  # "left" | "right" | "bilateral"
    from_assessment: bool = False  # the clinician states it as diagnosis, impression or plan
    in_question: bool = False  # mentioned in a clinician's question; the answer decided
    cues: tuple[str, ...] = ()  # why the assertion is what it is ("NEGATED_EXISTENCE:denies")

    @property
    def concept_ids(self) -> tuple[str, ...]:
        """The concept and the region and laterality concepts it carries."""
        return tuple(c for c in (self.concept, self.region, self.laterality) if c)


@dataclass(slots=True)
class _Raw:
    concept: str
    label: str
    start: int
    end: int
    unit: int  # index into the unit list
    speaker: Speaker
    turn: int
    cats: set[str] = field(default_factory=set)
    cues: list[str] = field(default_factory=list)
    assess: bool = False
    plan: bool = False
    guess: bool = False
    assertion: Assertion = "present"
    from_assessment: bool = False
    in_question: bool = False
    level: str | None = None
    region: str | None = None
    laterality: str | None = None
    dropped: bool = False  # the dialogue showed it is not a finding after all
    reported: bool = False  # named by a document read out ("the report says ..."), not judged
    resolved: bool = False  # said to have resolved ("has cleared up", "it's completely gone")

    @property
    def category(self) -> Category:
        return CONCEPTS[self.concept].category


class FindingExtractor:
    """Loads medspaCy once (lazily, thread-safe) and extracts findings from transcripts."""

    def __init__(self) -> None:
        self._pipeline: _Pipeline | None = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()  # spaCy matchers are not documented as thread-safe

    def warm_up(self) -> None:
        """Build the medspaCy pipeline now rather than on the first transcript."""
        if self._pipeline is None:
            with self._load_lock:
                if self._pipeline is None:
                    self._pipeline = _Pipeline()

    def extract(self, transcript: Transcript | str | bytes | list[dict[str, Any]]) -> list[Finding]:
        """The findings of one transcript (raw input is parsed with ``parse_transcript``)."""
        if not isinstance(transcript, Transcript):
            transcript = parse_transcript(transcript)
        self.warm_up()
        assert self._pipeline is not None
        units = split_units(transcript)
        with self._run_lock:
            raws = self._pipeline.targets(transcript, units)
        _attach(transcript, raws)
        _Dialogue(transcript, units, raws).run()
        _share_places(raws)
        kept = sorted((r for r in raws if not r.dropped), key=lambda r: (r.start, r.end))
        return [_final(transcript, r) for r in kept]

    run = extract  # the one-step-one-run() convention of the other components


class _Pipeline:
    """medspaCy (blank English, its tokenizer and ConText) and the anchored TargetMatchers."""

    def __init__(self) -> None:
        from scribeplugin.logs import quiet_third_party

        quiet_third_party()
        import medspacy
        from spacy.attrs import ORTH
        from spacy.tokens import Token

        Token.set_extension("scribe_lat", default="", force=True)  # the Matcher needs a str
        nlp = medspacy.load(
            medspacy_enable=["medspacy_tokenizer", "medspacy_context"], load_rules=False
        )
        # ASR text detaches clitics ("did n't", "i 'm"); medspaCy's tokenizer would then split
        # "n't" into n ' t. Keep them whole, as spaCy does for "didn't".
        for clitic in ("n't", "'m", "'s", "'ll", "'re", "'ve", "'d"):
            for form in (clitic, clitic.replace("'", "’")):
                nlp.tokenizer.add_special_case(form, [{ORTH: form}])
        nlp.remove_pipe("medspacy_context")
        self.context = nlp.add_pipe(
            "medspacy_context",
            config={
                "rules": None,
                "prune_on_target_overlap": True,
                "span_attrs": None,
            },
        )
        # Set here, not through the spaCy config, which hands the lists over as one-shot iterators.
        self.context.terminating_types = {k: tuple(v) for k, v in rules.TERMINATING_TYPES.items()}
        self.context.add(rules.build_context_rules())
        # ConText keeps its rules in a MedspacyMatcher (private attribute; medspacy is pinned).
        if not index_medspacy_matcher(getattr(self.context, "_ConText__matcher", None)):
            log.warning("ConText runs on spaCy's Matcher: slower, same results")
        self.targets_matcher = TargetSpans(nlp, rules.build_target_rules())
        self.nlp = nlp
        log.info("medspaCy pipeline ready (%d target rules)", self.targets_matcher.n_rules)

    def targets(self, transcript: Transcript, units: list[Unit]) -> list[_Raw]:
        out: list[_Raw] = []
        make_doc = self.nlp.make_doc
        for ui, unit in enumerate(units):
            text = transcript.text[unit.start : unit.end]
            doc = make_doc(text)
            lowered = text.lower()
            if "left" in lowered or "right" in lowered:
                _tag_laterality(doc)
            if not self.targets_matcher.mark(doc):
                continue
            doc[0].is_sent_start = True  # one unit, one sentence: ConText's scope
            if len(doc) > 1:
                doc[1].is_sent_start = False
            doc = self.context(doc)
            for ent in doc.ents:
                mods = tuple(ent._.modifiers)
                for span in _split_target(ent):
                    raw = _raw_finding(span, unit, ui, mods)
                    if raw is not None:
                        out.append(raw)
        return out


_UPPER_BACK = {"upper", "mid", "middle", "thoracic"}


def _split_target(ent: Span) -> list[Span]:
    """The spans a target stands for: itself, or (``rules.SPLIT_LABELS``) its two parts.

    "back and buttock pain" is one target, so the overlap with "buttock pain" cannot drop
    either part; it is read as low back pain ("back", "upper back" is back pain) and leg pain
    ("buttock pain"), both with the ConText modifiers of the whole span.
    """
    labels = rules.SPLIT_LABELS.get(ent.label_)
    if labels is None:
        return [ent]
    from spacy.tokens import Span

    doc = ent.doc
    joint = next((i for i in range(ent.start, ent.end) if doc[i].lower_ in ("and", "&")), None)
    if joint is None or joint in (ent.start, ent.end - 1):  # pragma: no cover - by the pattern
        return []
    back_label, leg_label = labels
    if ent.start > 0 and doc[ent.start - 1].lower_ in _UPPER_BACK:
        back_label = "BACK_PAIN"
    return [
        Span(doc, ent.start, joint, label=back_label),
        Span(doc, joint + 1, ent.end, label=leg_label),
    ]


_LAT_BEFORE = {"the", "your", "my", "his", "her", "their"}
_LAT_PREP = {"on", "to", "in", "at", "towards", "toward"}
_LEVEL_TOKEN = re.compile(r"^[ctls](?:[1-9]|1[0-2])$")


def _tag_laterality(doc: Doc) -> None:
    """Mark 'left'/'right' that name a side ("left leg", "on the right"), not "all right"."""
    n = len(doc)
    for i, tok in enumerate(doc):
        low = tok.lower_
        if low not in ("left", "right"):
            continue
        j = i + 1
        while j < n and doc[j].lower_ in ("-", "–"):
            j += 1
        nxt = doc[j].lower_ if j < n else ""
        names_a_part = nxt in rules.LATERAL_BODY or _LEVEL_TOKEN.match(nxt) is not None
        on_the_side = i >= 2 and doc[i - 1].lower_ in _LAT_BEFORE and doc[i - 2].lower_ in _LAT_PREP
        if names_a_part or on_the_side:
            tok._.scribe_lat = low


# fmt: off
_NON_SPINAL_STENOSIS = {
    "aortic", "mitral", "pulmonary", "pulmonic", "tricuspid", "pyloric", "renal", "carotid",
    "valve", "valvular", "subglottic", "tracheal", "urethral", "meatal", "artery", "arterial",
}
_CERVIX = {
    "cancer", "cap", "exam", "smear", "screening", "os", "dilation", "mucus", "polyp", "biopsy",
    "dysplasia", "cytology", "ectropion",
}
_JOINT_INSTABILITY = {
    "knee", "ankle", "shoulder", "joint", "hemodynamic", "emotional", "financial", "patellar",
    "hip", "wrist", "elbow", "hemodynamically",
}
_NOT_LEVEL_AFTER = {
    "weighted", "weighting", "signal", "image", "images", "sequence", "sequences", "hyperintensity",
    "hyperintense", "hypointense", "flair", "level", "levels", "-weighted",
}
# fmt: on


def _leg_pain_is_numbness(ent: Span, prev: str, nxt: str) -> bool:
    """'numbness goes down my leg' is paresthesia, not pain."""
    if _PAIN_WORD.search(ent.text):
        return False
    before = ent.doc[max(0, ent.start - 5) : ent.start].text
    return bool(_NUMB_WORD.search(before)) and not _PAIN_WORD.search(before)


_LIST_MARK = {",", ";", ":", "-", "–", "—"}
_FINISHED = {"finished", "completed", "complete", "ended", "stopped", "done", "after", "off"}
# Words that say whether a bare "instability" is the spine's.
_SPINAL_CONTEXT = re.compile(
    r"\b(?:[ctls](?:[1-9]|1[0-2])\b|spine|spinal|segment\w*|vertebr\w*|lumbar|cervical|"
    r"thoracic|sacral|lumbosacral|listhesis|spondyl\w*|slip\w*|flexion|extension|fusion|"
    r"neck|disc|disk|facet\w*)",
    re.IGNORECASE,
)
_NOT_SPINE = re.compile(
    r"\b(?:knees?|ankles?|shoulders?|hips?|wrists?|elbows?|joints?|legs?|feet|foot|thumbs?|"
    r"fingers?|fragments?|patell\w*|menisc\w*|acl|mcl|lcl|pcl|varus|valgus|gait|balance|"
    r"walking|wobbly)\b",
    re.IGNORECASE,
)
# "back" as the body part, not "back then", "back in August", "the back of the knee"
_BACK = re.compile(
    r"\bback\b(?!\s+(?:of|then|in|when|home|to|from|and\s+forth|again|there|here|up)\b)",
    re.IGNORECASE,
)
_LIMB = re.compile(
    r"\b(?:hamstrings?|groin|calf|calves|quad\w*|achilles|rotator|cuff|hands?|arms?|thighs?|"
    r"toes?|ankles?|knees?|wrists?|elbows?|shoulders?|hips?|mcl|acl|lcl|pcl|menisc\w*|thumbs?|"
    r"fingers?)\b",
    re.IGNORECASE,
)


def _limb_injury(sentence: str) -> bool:
    """A sprain or strain of a limb ("I sprained my MCL", "hamstring strain"): the sentence
    names a limb and nothing of the spine or back."""
    return (
        _LIMB.search(sentence) is not None
        and not _SPINAL_CONTEXT.search(sentence)
        and not _BACK.search(sentence)
    )


# Words that match a rule but mean something else here: concept -> (span, prev, next) -> veto.
_VETO: dict[str, Callable[[Span, str, str], bool]] = {
    "spinal_stenosis": lambda e, p, n: p in _NON_SPINAL_STENOSIS,  # aortic stenosis
    "neurogenic_claudication": lambda e, p, n: p in {"vascular", "arterial", "venous"},
    "injury_event": lambda e, p, n: (
        (n in {"asleep", "apart", "behind"} and e.text.lower().startswith("f"))  # fall asleep
        or (p in {"this", "last", "next"} and e.text.lower().startswith("fall"))  # the season
    ),
    "region_cervical": lambda e, p, n: n in _CERVIX,  # cervical smear
    "region_lumbar": lambda e, p, n: n in {"puncture", "tap", "drain"},
    # knee instability; a bare "instability" said of something else in its sentence and of
    # nothing spinal ("gross instability of the fragment", "instability in the legs")
    "instability": lambda e, p, n: (
        p in _JOINT_INSTABILITY
        or (
            len(e) == 1
            and _NOT_SPINE.search(e.doc.text) is not None
            and not _SPINAL_CONTEXT.search(e.doc.text)
        )
    ),
    "strain": lambda e, p, n: (
        n in {"your", "the", "urine", "yourself", "it", "on"}  # the verb
        or _limb_injury(e.doc.text)
    ),
    "sprain": lambda e, p, n: _limb_injury(e.doc.text),  # "I sprained my MCL"
    "leg_pain": _leg_pain_is_numbness,
    # "lower in the back of my thigh" is the leg
    "low_back_pain": lambda e, p, n: n == "of" and e.text.lower().endswith("back"),
    # a bare "healing" marks a routine-healing visit only as a note item: "lumbar sprain, healing"
    "subsequent_encounter": lambda e, p, n: e.text.lower() == "healing" and p not in _LIST_MARK,
    # "you finished active treatment last visit" is what makes today a subsequent encounter
    "initial_encounter": lambda e, p, n: e.text.lower().startswith("active") and p in _FINISHED,
}
_ATTRIBUTION = re.compile(r"\b(?:from|due|caused|secondary)\b", re.IGNORECASE)
_NOT_A_SYMPTOM = re.compile(
    r"\b(?:smok\w*|cigar\w*|vap\w*|packs?|drink\w*|alcohol|beers?|wine|married|girlfriend|"
    r"boyfriend|wife|husband|partner|job|employed|worked|living|lived|birth control|pills?|"
    r"contracepti\w*|pregnan\w*|retired|school|college|sexual\w*|women|men|partners?)\b",
    re.IGNORECASE,
)
_HEART = re.compile(r"\b(heart|murmur|sounds?|rub|gallop|cardiac|chest|auscultat)", re.I)
_PAIN_WORD = re.compile(r"\b(pain|hurt|ache|aching|sciatica|burn|stab|shoot|throb|sore)", re.I)
_NUMB_WORD = re.compile(r"\b(numb|tingl|pins|asleep|weak)", re.I)


def _raw_finding(ent: Span, unit: Unit, ui: int, mods: tuple[Any, ...] = ()) -> _Raw | None:
    label = ent.label_
    doc = ent.doc
    prev = doc[ent.start - 1].lower_ if ent.start > 0 else ""
    after = ent.end + (ent.end < len(doc) and doc[ent.end].text in ("-", "–"))
    nxt = doc[after].lower_ if after < len(doc) else ""
    if label == "DURATION":
        days = normalize.duration_days(ent.text)
        if days is None or ent.text.lower().startswith("over the year"):
            return None
        if _NOT_A_SYMPTOM.search(doc.text):
            return None  # "smoking for 20 years", "my girlfriend for two years"
        if nxt in {"old", "older", "younger", "ago"}:
            return None  # "about 20 years old"; "two years ago" dates an event
        concept = "chronic" if days >= normalize.CHRONIC_DAYS else "acute"
    else:
        concept = rules.concept_of(label)
    if concept not in CONCEPTS:  # pragma: no cover - rules.py and concepts.py disagree
        log.warning("target label %s has no concept", label)
        return None
    if concept == "level":
        lv = normalize.parse_level(ent.text)
        if lv is None or nxt in _NOT_LEVEL_AFTER or prev in {"free", "total"}:
            return None  # "T2-weighted", "free T4"
        if lv[0] == "S" and _HEART.search(doc.text):
            return None  # heart sounds S1 and S2
    veto = _VETO.get(concept)
    if veto is not None and veto(ent, prev, nxt):
        return None
    raw = _Raw(
        concept,
        label,
        unit.start + ent.start_char,
        unit.start + ent.end_char,
        ui,
        unit.speaker,
        unit.turn_index,
    )
    if raw.category == Category.cause and _ATTRIBUTION.search(ent.text):
        raw.assess = True  # "coming from a kidney stone": the cue is inside the target
    _base_assertion(raw, ent, unit, mods)
    return raw


def _base_assertion(raw: _Raw, ent: Span, unit: Unit, mods: tuple[Any, ...]) -> None:
    """Assertion from the ConText modifiers, read with the speaker and the unit in mind."""
    doc = ent.doc
    for mod in mods:
        cat = mod.category
        s, e = mod.modifier_span
        text = doc[s:e].text
        if cat == rules.GUESS:
            if raw.speaker == "clinician":
                raw.assess = True
            else:
                raw.guess = True
                raw.cats.add(rules.POSS)
        elif cat == rules.PLAN:
            raw.plan = True
        elif cat == rules.ASSESS:
            raw.assess = True
        elif cat == rules.FAM:
            if raw.speaker == "other" and s > 0 and doc[s - 1].lower_ == "my":
                continue  # a relative speaking: "my mom has back pain" is the patient
            raw.cats.add(cat)
        elif cat == rules.HYPO:
            raw.cats.add(rules.POSS)
        elif cat == rules.REPORTED:
            raw.reported = True
            raw.guess = raw.guess or raw.speaker != "clinician"  # the clinician may confirm it
            raw.cats.add(rules.POSS)
        else:
            raw.cats.add(cat)
            if cat == rules.HIST and mod.rule.literal in rules.RESOLVED_LITERALS:
                raw.resolved = True
            if mod.rule.literal == rules.NEGATED_PLAN:
                raw.plan = True  # "not going to order an MRI" is a plan too
        raw.cues.append(f"{cat}:{text}")
    if raw.plan and raw.label in rules.PLANNED_LABELS:
        raw.cats.add(rules.POSS)  # planned, not done
    if unit.question and raw.speaker != "clinician" and raw.category in _CONDITION_CATS:
        raw.cats.add(rules.POSS)  # "could it be a slipped disc?"
        raw.guess = True
        raw.cues.append("patient_question")
    if raw.reported:
        raw.from_assessment = False  # reading out a report is not the clinician's judgement
    elif raw.speaker == "clinician":
        raw.from_assessment = not unit.question and (
            raw.assess
            or raw.plan
            or unit.assessment_section
            or (rules.POSS in raw.cats and raw.category in _CONDITION_CATS)
            or raw.category == Category.cause  # a clinician naming a kidney stone diagnoses it
        )
    elif raw.speaker == "unknown":
        raw.from_assessment = unit.assessment_section or (raw.assess and not unit.question)
    if raw.category in _WHERE or (
        raw.category == Category.chronicity and raw.speaker != "clinician"
    ):
        # Where it is and how long it lasted are descriptions: "maybe more to the right",
        # "I'd say maybe a month" hedge the detail, not whether there is a problem.
        raw.cats -= {rules.POSS, rules.HIST}
    raw.assertion = _assertion_of(raw.cats)


def _assertion_of(cats: set[str]) -> Assertion:
    if rules.FAM in cats:
        return "family"
    if rules.NEG in cats:
        return "negated"
    if rules.POSS in cats:
        return "possible"
    if rules.HIST in cats:
        return "historical"
    return "present"


# -- dialogue

_FILLER_UNIT = re.compile(
    r"^(?:(?:uh|um|umm|er|erm|oh|ah|hmm|mm|well|so|okay|ok|alright|sorry|pardon|huh)[\s,.!?-]*)+$",
    re.IGNORECASE,
)
# A clinician checking what they understood: "So you've had this for two weeks."
_PROPOSAL = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|alright|all right|and|now|right)\W+)*(?:so\b|and so\b|"
    r"(?:it )?sounds like you\b|you (?:said|mentioned|told)|you(?:'ve|’ve| have| had| are|'re)\b)",
    re.IGNORECASE,
)
_EXCLAMATION = re.compile(r"^\W*(?:oh|ah|aw)\b|^\W*no (?:kidding|way|problem|worries)\b", re.I)
_ONLY = re.compile(
    r"^\W*(?:(?:uh|um|well|so)\W+)*(?:it'?s |it is )?(?:just|only|mostly|mainly)\b", re.IGNORECASE
)


class _Dialogue:
    """The dialogue passes over one transcript's raw findings."""

    def __init__(self, transcript: Transcript, units: list[Unit], raws: list[_Raw]) -> None:
        self.text = transcript.text
        self.turns = transcript.turns
        self.units = units
        self.raws = raws
        self.by_turn: dict[int, list[int]] = {}
        for ui, u in enumerate(units):
            self.by_turn.setdefault(u.turn_index, []).append(ui)
        self.by_unit: dict[int, list[_Raw]] = {}
        for r in raws:
            self.by_unit.setdefault(r.unit, []).append(r)

    def run(self) -> None:
        turns = self.turns
        ti = 0
        while ti < len(turns):
            if turns[ti].speaker != "clinician":
                self._guess_confirmed(ti)
                ti += 1
                continue
            run_end = ti
            while run_end + 1 < len(turns) and turns[run_end + 1].speaker == "clinician":
                run_end += 1
            answer_turns = []
            k = run_end + 1
            while k < len(turns) and turns[k].speaker in ("patient", "other"):
                answer_turns.append(k)
                k += 1
            self._resolve_block(list(range(ti, run_end + 1)), answer_turns)
            ti = run_end + 1
        self._assessment_outweighs()
        self._resolved_by_anaphora()
        self._resolution_outweighs()

    def _unit_text(self, ui: int) -> str:
        u = self.units[ui]
        return self.text[u.start : u.end]

    def _first_polarity(self, turns: list[int]) -> tuple[str | None, bool]:
        """The polarity of a reply's first non-filler unit, and whether it opens "just/only"."""
        for t in turns:
            for ui in self.by_turn.get(t, []):
                utext = self._unit_text(ui)
                if not _FILLER_UNIT.match(utext):
                    return self.units[ui].polarity, _ONLY.match(utext) is not None
        return None, False

    def _first_text(self, turns: list[int]) -> str:
        for t in turns:
            for ui in self.by_turn.get(t, []):
                utext = self._unit_text(ui)
                if not _FILLER_UNIT.match(utext):
                    return utext
        return ""

    def _resolve_block(self, block: list[int], answer_turns: list[int]) -> None:
        """Findings in a run of clinician turns, read against the reply that follows."""
        block_units = [ui for t in block for ui in self.by_turn.get(t, [])]
        if not block_units:
            return
        polarity, only = self._first_polarity(answer_turns)
        answer: dict[str, _Raw] = {}
        answer_lat = None
        for t in answer_turns:
            for ui in self.by_turn.get(t, []):
                if self.units[ui].question:
                    continue
                for r in self.by_unit.get(ui, []):
                    answer.setdefault(r.concept, r)
                    if answer_lat is None and r.category == Category.laterality:
                        answer_lat = r.concept
        answered = bool(answer_turns)
        if any(_NOT_A_SYMPTOM.search(self._unit_text(ui)) for ui in block_units[-2:]):
            for t in answer_turns:  # "for how long have you smoked?" / "about 40 years"
                for ui in self.by_turn.get(t, []):
                    for r in self.by_unit.get(ui, []):
                        if r.category == Category.chronicity:
                            r.dropped = True
        for ui in block_units:
            if not self.units[ui].question:
                continue
            asked = self.by_unit.get(ui, [])
            mentioned = {r.concept for r in asked if r.category not in _WHERE} & set(answer)
            for r in asked:
                _answer_decides(r, answered, polarity, only, mentioned, answer, answer_lat)
        # A statement about the patient that the reply rejects ("so it started last week." /
        # "no, a month ago") is negated like a question would be.
        last = block_units[-1]
        u = self.units[last]
        if (
            answered
            and not u.question
            and polarity == "no"
            and _PROPOSAL.match(self._unit_text(last))
            and not _EXCLAMATION.match(self._first_text(answer_turns))
        ):
            for r in self.by_unit.get(last, []):
                if (
                    r.assertion == "present"
                    and not (r.plan or r.assess)
                    and (r.concept not in answer)
                ):
                    r.assertion = "negated"
                    r.cues.append("proposal:rejected")

    def _guess_confirmed(self, ti: int) -> None:
        """A patient's guess that the clinician confirms (or rejects) in the next turn."""
        if ti + 1 >= len(self.turns) or self.turns[ti + 1].speaker != "clinician":
            return
        mine = self.by_turn.get(ti, [])
        if not mine:
            return
        polarity, _ = self._first_polarity([ti + 1])
        if polarity is None:
            return
        for r in self.by_unit.get(mine[-1], []):
            if r.guess and r.category in _CONDITION_CATS and r.assertion == "possible":
                r.assertion = "present" if polarity == "yes" else "negated"
                r.cues.append(f"clinician_reply:{polarity}")

    def _assessment_outweighs(self) -> None:
        """The clinician's assessment of a condition decides over what others said about it."""
        verdict: dict[str, _Raw] = {}
        for r in self.raws:
            if (
                r.speaker == "clinician"
                and r.from_assessment
                and not r.in_question
                and r.category in _CONDITION_CATS
                and r.assertion in ("present", "negated", "possible")
            ):
                verdict[r.concept] = r  # the last one said wins
        for r in self.raws:
            v = verdict.get(r.concept)
            if v is None or r.speaker == "clinician" or r.assertion not in ("present", "possible"):
                continue
            if r.assertion != v.assertion:
                r.assertion = v.assertion
                r.cues.append(f"clinician_assessment:{v.assertion}")

    def _resolved_by_anaphora(self) -> None:
        """'None since the ablation for the facet syndrome. It's completely gone.': a unit that
        only says "it" has resolved makes the problems of the unit before it historical: the
        one before in the same turn (a bare "No," skipped), or the last one of the turn before
        ("How's the sciatica?" / "It's gone." or "No, it's gone.")."""
        for ui, u in enumerate(self.units):
            if ui == 0 or u.question or not _RESOLVED_ANAPHOR.match(self._unit_text(ui)):
                continue
            if any(r.category in _PROBLEM_CATS for r in self.by_unit.get(ui, [])):
                continue  # "the sciatica is gone": ConText already read it
            prev = ui - 1
            while prev > 0 and self.units[prev].answer_only:
                prev -= 1
            for r in self.by_unit.get(prev, []):
                if r.category not in _PROBLEM_CATS:
                    continue
                if r.assertion in ("present", "possible") or "answer:no" in r.cues:
                    r.assertion = "historical"
                    r.resolved = u.speaker in ("clinician", "unknown")
                    r.cues.append("resolved:" + self._unit_text(ui)[:40])

    def _resolution_outweighs(self) -> None:
        """The clinician saying a problem has resolved ("The discitis has resolved.") makes what
        was said of it before historical too ("antibiotics for the L3-L4 discitis"), unless that
        was the clinician's own assessment or names another level."""
        for v in self.raws:
            if not (
                v.resolved
                and v.assertion == "historical"
                and v.speaker in ("clinician", "unknown")
                and v.category in _PROBLEM_CATS
            ):
                continue
            for r in self.raws:
                if (
                    r.concept == v.concept
                    and r.start < v.start
                    and r.assertion in ("present", "possible")
                    and not (r.from_assessment and r.speaker == "clinician")
                    and (v.level is None or r.level is None or _same_place(r.level, v.level))
                ):
                    r.assertion = "historical"
                    r.cues.append("clinician_resolved")


_PROBLEM_CATS = {Category.condition, Category.symptom, Category.cause}
_RESOLVED_ANAPHOR = re.compile(
    r"^\W*(?:(?:and|but|so|now|well|oh|yeah|yes|no|good|great)\W+)*"
    r"(?:it|that|this|they|those|the (?:pain|problem|symptoms?|numbness|tingling|ache|issue))"
    r"\s*(?:'s|’s|is|has|have|are|'ve|’ve|was|had)?"
    r"(?:\s+(?:been|now|since|completely|totally|fully|all|entirely|pretty much|basically|"
    r"finally|long|just))*"
    r"\s+(?:gone|resolved|cleared(?:\s+up)?|healed|went away|gone away|disappeared)\b",
    re.IGNORECASE,
)


def _same_place(a: str, b: str) -> bool:
    """Two levels that may name one place: equal, or a root/vertebra and a segment through it."""
    pa, pb = set(a.split("-")), set(b.split("-"))
    return pa <= pb or pb <= pa


def _share_places(raws: list[_Raw]) -> None:
    """A condition mentioned without a place takes the place its other mentions agree on.

    The drafter reads the clinician's assessment first; "Assessment: discitis." must not hide
    "discitis at L3-L4" said earlier. Only present or possible mentions give and take, only
    when they agree on one region, and a root or vertebra ("L5") only takes a region a mention
    of the same root or a segment through it gives.
    """
    by_concept: dict[str, list[_Raw]] = {}
    for r in raws:
        if (
            not r.dropped
            and r.category == Category.condition
            and r.assertion in ("present", "possible")
        ):
            by_concept.setdefault(r.concept, []).append(r)
    for group in by_concept.values():
        donors = [r for r in group if r.region is not None]
        regions = {r.region for r in donors}
        if len(regions) != 1:
            continue
        region = regions.pop()
        levels = {r.level for r in donors if r.level}
        for r in group:
            if r.region is not None:
                continue
            if r.level is not None:
                if not any(_same_place(r.level, lv) for lv in levels):
                    continue
            elif len(levels) == 1:
                r.level = next(iter(levels))
            r.region = region
            r.cues.append("place:from another mention")


def _answer_decides(
    r: _Raw,
    answered: bool,
    polarity: str | None,
    only: bool,
    mentioned: set[str],
    answer: dict[str, _Raw],
    answer_lat: str | None,
) -> None:
    """The assertion of a finding the clinician asked about, from the patient's reply."""
    r.in_question = True
    r.from_assessment = False
    if r.cats & {rules.FAM, rules.HIST}:
        if answered and polarity == "no" and r.concept not in answer:
            r.assertion = "negated"
            r.cues.append("answer:no")
        return  # "any family history of ...?" / "yes, my dad" stays family
    if r.concept in answer:
        r.assertion = answer[r.concept].assertion
        r.cues.append("answer:mentions")
        if r.laterality is None and answer[r.concept].laterality:
            r.laterality = answer[r.concept].laterality
    elif not answered:
        r.assertion = "possible"
        r.cues.append("question:unanswered")
    elif r.category == Category.chronicity and polarity == "no":
        r.assertion = "possible"  # "has it changed since yesterday?" / "no": not about onset
        r.cues.append("question:no-about-something-else")
    elif polarity == "no" or (only and mentioned):
        r.assertion = "negated"
        r.cues.append("answer:no" if polarity == "no" else "answer:only-others")
    elif polarity == "yes" and not mentioned:
        r.assertion = "present"
        r.cues.append("answer:yes")
        if answer_lat and r.category not in _WHERE and r.laterality is None:
            r.laterality = answer_lat
    else:
        r.assertion = "possible"
        r.cues.append("question:unclear-answer")


# -- attributes


def _attach(transcript: Transcript, raws: list[_Raw]) -> None:
    """Level, region and laterality: the finding's own words first, then the nearest mention.

    A level that names one vertebra or one root ("L5") is not a segment: an L5 root can be
    compressed at L4-L5 or at L5-S1, so the region comes from a segment through it named in the
    same unit, else in the same turn (see ``_place``); without one a root or a junction vertebra
    has no region.
    """
    text = transcript.text
    by_unit: dict[int, list[_Raw]] = {}
    by_turn: dict[int, list[_Raw]] = {}
    for r in raws:
        by_unit.setdefault(r.unit, []).append(r)
        if r.concept == "level":
            r.level = normalize.parse_level(text[r.start : r.end])
            r.region = normalize.region_of_level(r.level) if r.level else None
            if r.level and _ROOT_AFTER.match(text, r.end):
                r.region = None  # "the S1 root", "L5 radiculopathy": a root, not a place
            if r.level and r.assertion != "negated":
                by_turn.setdefault(r.turn, []).append(r)
        elif r.category == Category.region:
            r.region = r.concept
        elif r.category == Category.laterality:
            r.laterality = r.concept
    for group in by_unit.values():
        levels = [r for r in group if r.concept == "level" and r.assertion != "negated"]
        regions = [r for r in group if r.category == Category.region and r.assertion != "negated"]
        sides = [r for r in group if r.category == Category.laterality]
        for r in group:
            own = text[r.start : r.end]
            if r.category in _LEVEL_CATS:
                near = _nearest(r, levels)
                r.level = normalize.parse_level(own) or (near.level if near else None)
                if r.level:
                    r.region = _place(r, r.level, levels, by_turn.get(r.turn, []), text)
                r.region = r.region or normalize.region_in(own) or _nearest_concept(r, regions)
                r.region = r.region or _OWN_REGION.get(r.concept)
            if r.category in _LATERAL_CATS and r.laterality is None:
                r.laterality = normalize.laterality_in(own) or _nearest_concept(r, sides)


# Symptoms that name their region ("low in the back", the "back" of "back and buttock pain").
_OWN_REGION = {"low_back_pain": "region_lumbar", "neck_pain": "region_cervical"}
_ROOT_AFTER = re.compile(r"[\s-]*(?:nerve[\s-]+)?(?:roots?|radicul\w*|nerves?)\b", re.IGNORECASE)


def _place(
    r: _Raw, level: str, unit_levels: list[_Raw], turn_levels: list[_Raw], text: str
) -> str | None:
    """The region of a finding at ``level``; may narrow ``r.level`` to a segment.

    - a segment ("L5-S1") is its own region;
    - a slipped vertebra ("anterolisthesis of L5") slips on the one below: L5-S1;
    - a root ("L5 radiculopathy") or lone vertebra ("instability at L5") takes the region of a
      segment through it named in the same unit, else in the same turn ("compressing the L5
      root at L5-S1"), one in the same clause first (``_segment_through``); a radiculopathy
      keeps the root as its level, anything else takes the segment;
    - otherwise a root's region is ``normalize.region_of_root`` (S1 -> lumbosacral by
      convention) and a vertebra's ``normalize.region_of_level`` (None at a junction).
    """
    if normalize.is_segment(level):
        return normalize.region_of_level(level)
    if r.concept == "spondylolisthesis":
        below = normalize.segment_below(level)
        if below is not None:
            r.level = below
            return normalize.region_of_level(below)
    seg = _segment_through(r, level, unit_levels, text) or _segment_through(
        r, level, turn_levels, text
    )
    if seg is not None:
        if r.concept != "radiculopathy":
            r.level = seg
        return normalize.region_of_level(seg)
    if r.concept == "radiculopathy":
        return normalize.region_of_root(level)
    return normalize.region_of_level(level)


def _segment_through(r: _Raw, vertebra: str, levels: list[_Raw], text: str) -> str | None:
    """The named segment that the vertebra (or root) ``vertebra`` takes part in: the nearest one
    in the same clause, else the nearest. In "L4-L5 herniation with L5 radiculopathy and L5-S1
    herniation with S1 radiculopathy" the L5 root goes with L4-L5, though L5-S1 is closer."""
    through = [
        o
        for o in levels
        if o is not r
        and o.level
        and normalize.is_segment(o.level)
        and vertebra in o.level.split("-")
    ]
    if len(through) > 1:
        same_clause = [o for o in through if not _CLAUSE_BREAK.search(_between(text, r, o))]
        through = same_clause or through
    best = _nearest(r, through)
    return best.level if best else None


# What ends a clause between a root and a segment: "..., and", "but", "while", ";".
_CLAUSE_BREAK = re.compile(r"[;.]|\b(?:and|but|while|whereas|plus)\b", re.IGNORECASE)


def _between(text: str, a: _Raw, b: _Raw) -> str:
    return text[a.end : b.start] if a.end <= b.start else text[b.end : a.start]


def _nearest(r: _Raw, others: Iterable[_Raw]) -> _Raw | None:
    best = None
    best_d = None
    for o in others:
        if o is r:
            continue
        d = min(abs(o.start - r.end), abs(r.start - o.end))
        if best_d is None or d < best_d:
            best, best_d = o, d
    return best


def _nearest_concept(r: _Raw, others: list[_Raw]) -> str | None:
    o = _nearest(r, others)
    return o.concept if o else None


def _final(transcript: Transcript, r: _Raw) -> Finding:
    return Finding(
        concept=r.concept,
        category=CONCEPTS[r.concept].category,
        text=transcript.text[r.start : r.end],
        start=r.start,
        end=r.end,
        speaker=r.speaker,
        turn_index=r.turn,
        assertion=r.assertion,
        level=r.level,
        region=r.region,
        laterality=r.laterality,
        from_assessment=r.from_assessment,
        in_question=r.in_question,
        cues=tuple(r.cues),
    )
