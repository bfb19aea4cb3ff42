"""Corpus lint: every code, label, claim and id in the guidance must agree with the tabular list.

Checks, each reported as ``file:line: reason``:
- cards parse; the file name is the card's code; the code exists and is billable as claimed;
  the title is the official description; the 7th-character claim is true; siblings exist;
- every ICD-10-CM code named in any text exists (``M51.1-`` must be a real category with codes
  below it); a label written as ``CODE (label)`` or ``label (CODE)`` does not contradict the
  official description (e.g. calling M54.4- "radiculopathy"); sentences claiming a code is
  (not) billable or has no 7th character are true;
- item ids are well formed and unique; rules validate, name existing items, known concepts and
  real codes; every pitfall of every card is enforced by at least one rule;
- prompts and eval cases (when given) name only real codes and existing item ids;
- the clinical knowledge (``corpus/knowledge``, and extra folders when given) validates; every
  concept, word list, label set and callback it names exists; no pattern appears twice; every
  code it names exists (``knowledge.extraction.check``); the coding knowledge (section
  ``coding``) names only real codes (a stem such as S13.4XX takes a 7th character) and known
  finding concepts, and every route of the limbs leads where it says in the Alphabetic Index;
- with an evals folder: every FAQ item and every pitfall of every card is covered by a case.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from scribeplugin.codeset import CodeEntry, CodeSet, get_codeset
from scribeplugin.corpus.cards import ITEM_ID, Card, CardError, parse_card
from scribeplugin.corpus.rules import LoadedRule, RuleError, parse_rule_file
from scribeplugin.knowledge.coding import CodingKnowledge

if TYPE_CHECKING:
    from scribeplugin.alphabetic import AlphabeticIndex


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


# A code as written in prose: M53.87, M54.4-, S33.5XXA, M51.- ; not part of a word or an id.
CODE_IN_TEXT = re.compile(r"(?<![\w.])([A-TV-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?)(\.?-)?(?![\w])")
_LEVEL_RANGE = re.compile(r"^[CTLS][0-9]{1,2}$")
_SENTENCE = re.compile(r".+?(?:[.!?](?=\s|$)|$)")

# Clinical terms whose presence in a label must be backed by the official text. Each term lists
# the words that may stand for it in a label, and the words that support it in official text.
_TERMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "radiculopathy": (("radiculopathy", "radicular"), ("radiculopathy",)),
    "sciatica": (("sciatica",), ("sciatica",)),
    "lumbago": (("lumbago",), ("lumbago", "low back pain")),
    "low back pain": (("low back pain", "lbp"), ("low back pain", "lumbago")),
    "stenosis": (("stenosis",), ("stenosis",)),
    "claudication": (("claudication",), ("claudication",)),
    "displacement": (
        ("herniation", "herniated", "displacement", "protrusion", "extrusion", "prolapse"),
        ("displacement", "disc disorder", "herniat"),
    ),
    "degeneration": (("degeneration", "degenerative"), ("degeneration", "degenerative")),
    "spondylosis": (("spondylosis",), ("spondylosis",)),
    "spondylolisthesis": (("spondylolisthesis",), ("spondylolisthesis",)),
    "instability": (("instability", "instabilities", "unstable"), ("instabilit",)),
    "myelopathy": (("myelopathy",), ("myelopathy",)),
    "discitis": (("discitis",), ("discitis",)),
    "sprain": (("sprain",), ("sprain",)),
    "strain": (("strain",), ("strain",)),
    "cervicalgia": (("cervicalgia", "neck pain"), ("cervicalgia", "neck pain")),
    "fracture": (("fracture",), ("fracture",)),
}
_REGIONS = (
    "occipito-atlanto-axial",
    "cervicothoracic",
    "cervical",
    "thoracolumbar",
    "thoracic",
    "lumbosacral",
    "lumbar",
    "sacrococcygeal",
    "sacral",
)
_REGION_WORDS = re.compile(r"\b(" + "|".join(_REGIONS) + r")\b")
# Words that end a label when reading leftwards from "(CODE)".
_LABEL_STOP = {
    "is",
    "are",
    "as",
    "to",
    "use",
    "uses",
    "using",
    "code",
    "codes",
    "coded",
    "for",
    "and",
    "or",
    "the",
    "a",
    "an",
    "not",
    "than",
    "from",
    "by",
    "into",
    "at",
    "under",
    "instead",
    "means",
    "then",
    "its",
    "their",
    "goes",
    "go",
    "fits",
    "fit",
    "choose",
    "pick",
    "assign",
    "report",
    "reported",
    "be",
    "becomes",
    "while",
    "whereas",
    "but",
    "so",
    "only",
    "when",
    "if",
    "that",
    "which",
    "it",
    "this",
    "these",
    "those",
    "see",
    "like",
    "such",
    "e.g.",
    "unlike",
    "versus",
    "vs",
    "vs.",
    "on",
    "in",
    "of",
    "plus",
    "also",
    "with",
    "without",
}
_NEGATED_LABEL = re.compile(r"\b(not|no|never|isn't|is not|rather than|instead of)\b")


def lint_corpus(
    corpus_dir: Path,
    extra_dirs: Iterable[Path] = (),
    codeset: CodeSet | None = None,
    evals_dir: Path | None = None,
    knowledge_extra: Iterable[Path] = (),
) -> list[Problem]:
    """All problems in the corpus (and in prompts/evals under ``extra_dirs``), sorted.

    With ``evals_dir``, a FAQ item or pitfall that no case in ``evals_dir/cases`` covers is a
    problem too. The knowledge checked is ``corpus_dir/knowledge`` then ``knowledge_extra``."""
    cs = codeset or get_codeset()
    problems: list[Problem] = []
    cards: list[Card] = []
    cards_dir, rules_dir = corpus_dir / "cards", corpus_dir / "rules"
    if not cards_dir.is_dir():
        return [Problem(str(cards_dir), 0, "no cards folder: is this a corpus directory?")]
    for path in sorted(cards_dir.glob("*.md")):
        try:
            cards.append(parse_card(path))
        except CardError as exc:
            problems.append(Problem(str(exc.path), exc.line, exc.message))
    item_ids: dict[str, Card] = {}
    for card in cards:
        problems.extend(_check_card(card, cs))
        for item in card.items:
            if item.id in item_ids:
                problems.append(Problem(str(card.path), item.line, f"duplicate item id {item.id}"))
            item_ids[item.id] = card

    rules: list[LoadedRule] = []
    for path in sorted(rules_dir.glob("*.yaml")) if rules_dir.is_dir() else []:
        try:
            rules.extend(parse_rule_file(path))
        except RuleError as exc:
            problems.append(Problem(str(exc.path), exc.line, exc.message))
    problems.extend(_check_rules(rules, item_ids, cs))

    enforced = {r.rule.item for r in rules}
    for card in cards:
        for item in card.items_of("pitfall"):
            if item.id not in enforced:
                problems.append(
                    Problem(
                        str(card.path), item.line, f"pitfall {item.id} has no rule enforcing it"
                    )
                )
    knowledge_extra = list(knowledge_extra)
    problems.extend(
        _check_coding_knowledge(
            [corpus_dir / "knowledge", *knowledge_extra], cs, _alphabetic(corpus_dir)
        )
    )
    for folder in extra_dirs:
        problems.extend(_check_other_files(folder, item_ids, cs))
    problems.extend(_check_knowledge([corpus_dir / "knowledge", *knowledge_extra], cs))
    if evals_dir is not None:
        problems.extend(_check_coverage(cards, evals_dir))
    return sorted(set(problems))


def _alphabetic(corpus_dir: Path) -> AlphabeticIndex | None:
    """The Alphabetic Index the routes are walked in: the one vendored in this corpus, else the
    project's (a corpus folder of tests has none of its own)."""
    from scribeplugin.alphabetic import get_alphabetic
    from scribeplugin.alphabetic.index import vendored_path
    from scribeplugin.config import PROJECT_ROOT

    for folder in (corpus_dir, PROJECT_ROOT / "corpus"):
        if vendored_path(folder).is_file():
            return get_alphabetic(None, folder)
    return None


def print_report(problems: list[Problem], corpus_dir: Path) -> None:
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) in {corpus_dir}")
    else:
        print(f"corpus OK: {corpus_dir}")


# -- cards --------------------------------------------------------------------------------------


def _check_card(card: Card, cs: CodeSet) -> Iterator[Problem]:
    path, meta, lines = str(card.path), card.meta, card.meta_lines
    if card.path.stem != meta.code:
        yield Problem(path, lines.get("code", 2), f"file name should be {meta.code}.md")
    entry = cs.get(meta.code)
    if entry is None:
        yield Problem(path, lines.get("code", 2), _unknown(meta.code, cs))
        return
    if meta.code != entry.code:
        yield Problem(path, lines.get("code", 2), f"write the code as {entry.code}")
    if meta.title != entry.description:
        yield Problem(
            path,
            lines.get("title", 2),
            f"title {meta.title!r} is not the official description {entry.description!r}",
        )
    if meta.billable != entry.billable:
        yield Problem(
            path,
            lines.get("billable", 2),
            f"billable: {str(meta.billable).lower()} is wrong; {entry.code} is "
            f"{'billable' if entry.billable else 'not billable (it has codes below it)'}",
        )
    actual_7th = "included" if entry.kind == "extended subcategory" else "none"
    if entry.seventh_characters and actual_7th == "none":
        actual_7th = "required"
    if meta.seventh_character != actual_7th:
        yield Problem(
            path,
            lines.get("seventh_character", 2),
            f"seventh_character: {meta.seventh_character} is wrong for {entry.code} "
            f"(it is {actual_7th})",
        )
    for sib in meta.siblings:
        if sib not in cs:
            yield Problem(path, lines.get("siblings", 2), f"sibling {_unknown(sib, cs)}")
    card_head = card.heading.split(" ", 1)
    if card_head[0] != meta.code:
        yield Problem(path, card.body_start, f"heading should start with {meta.code}")
    # Every line of the file: codes, labels and claims in prose and front matter.
    text = card.path.read_text(encoding="utf-8")
    yield from check_text(path, text, cs)


def check_text(
    path: str, text: str, cs: CodeSet, item_ids: dict[str, Card] | None = None
) -> Iterator[Problem]:
    """Codes, labels, claims and (optionally) item ids in free text.

    The text is read as one flow (a label or sentence may wrap across lines); each problem
    names the line where its code starts.
    """
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def line_of(offset: int) -> int:
        return bisect.bisect_right(starts, offset)

    flat = text.replace("\n", " ")
    for m in ITEM_ID.finditer(flat):
        if item_ids is not None and m.group(0) not in item_ids:
            yield Problem(path, line_of(m.start()), f"unknown card item id {m.group(0)}")
    scrubbed = ITEM_ID.sub(lambda m: " " * len(m.group(0)), flat)
    for m in CODE_IN_TEXT.finditer(scrubbed):
        code, dash, n = m.group(1), m.group(2), line_of(m.start())
        if _is_level(scrubbed, m):
            continue
        entry = cs.get(code)
        if entry is None:
            yield Problem(path, n, _unknown(code + (dash or ""), cs))
            continue
        if dash and entry.billable:
            yield Problem(
                path, n, f"{code}- names codes below {code}, but {code} is itself a billable code"
            )
        label = _label_near(scrubbed, m)
        if label:
            bad = _contradiction(label, entry, cs, dash is not None)
            if bad:
                yield Problem(
                    path,
                    n,
                    f"label {label!r} for {code}{dash or ''} contradicts the official "
                    f"description {entry.description!r} ({bad})",
                )
    for sm in _SENTENCE.finditer(scrubbed):
        yield from _claims(path, line_of(sm.start()), sm.group(0), cs)


def _is_level(line: str, m: re.Match[str]) -> bool:
    """T12-L1 or L5-S1 style spinal levels are not codes."""
    code = m.group(1)
    if not _LEVEL_RANGE.match(code):
        return False
    before, after = line[: m.start()], line[m.end() :]
    return bool(re.match(r"^[-/][CTLS]?\d", after) or re.search(r"[CTLS]\d{1,2}[-/]$", before))


def _label_near(line: str, m: re.Match[str]) -> str | None:
    after = line[m.end() :]
    paren = re.match(r"\s*\(([^()]{3,100})\)", after)
    if paren and not CODE_IN_TEXT.search(paren.group(1)):
        return paren.group(1).strip()
    # "label (CODE)" or "label (CODE, ...)": the code opens a parenthesis.
    before = line[: m.start()]
    if before.endswith("(") and re.match(r"\s*[),]", after):
        words = re.split(r"[\s]+", re.split(r"[,;:.\u2014()\"]", before[:-1])[-1].strip())
        label: list[str] = []
        for w in reversed(words):
            if not w or w.lower() in _LABEL_STOP:
                break
            label.insert(0, w)
        if label and len(label) <= 8:
            return " ".join(label)
    return None


def _official_text(entry: CodeEntry, cs: CodeSet, category: bool) -> str:
    """Description and inclusion terms of the code, its ancestors, and (for M54.4-) its children."""
    parts: list[str] = []
    chain = [entry.code, *cs.ancestors(entry.code)]
    for code in chain:
        e = cs.lookup(code)
        if e.kind in {"chapter"}:
            break
        parts += [e.description, *e.inclusion_terms, *e.includes]
    if category:
        for code in cs.descendants(entry.code):
            e = cs.lookup(code)
            parts += [e.description, *e.inclusion_terms]
    return " ".join(parts).lower()


def _contradiction(label: str, entry: CodeEntry, cs: CodeSet, category: bool) -> str | None:
    low = label.lower()
    if _NEGATED_LABEL.search(low):
        return None
    official = _official_text(entry, cs, category)
    for term, (label_words, official_words) in _TERMS.items():
        if any(re.search(rf"\b{re.escape(w)}\b", low) for w in label_words) and not any(
            w in official for w in official_words
        ):
            return f"the code's official text does not say {term}"
    for region in _REGION_WORDS.findall(low):
        if not re.search(rf"\b{region}\b", official):
            return f"the code is not for the {region} region"
    return None


_CLAIM_NOT_BILLABLE = re.compile(
    r"\b(not billable|non-billable|nonbillable|not a billable|cannot be billed|header code)\b", re.I
)
_CLAIM_BILLABLE = re.compile(r"\b(is|are) (a )?(complete )?billable\b", re.I)
_CLAIM_NO_7TH = re.compile(
    r"\b(no|without a|does not need a|doesn't need a|never takes a) 7th[- ]character\b", re.I
)


def _claims(path: str, n: int, sentence: str, cs: CodeSet) -> Iterator[Problem]:
    """Check one-code sentences that say a code is (not) billable or has no 7th character."""
    codes = [m.group(1) for m in CODE_IN_TEXT.finditer(sentence) if not m.group(2)]
    codes = [c for c in codes if c in cs]
    if len(set(codes)) != 1:
        return
    entry = cs.lookup(codes[0])
    says_not = _CLAIM_NOT_BILLABLE.search(sentence)
    if says_not and entry.billable:
        yield Problem(path, n, f"says {entry.code} is not billable, but it is billable")
    elif _CLAIM_BILLABLE.search(sentence) and not says_not and not entry.billable:
        yield Problem(path, n, f"says {entry.code} is billable, but it has codes below it")
    if _CLAIM_NO_7TH.search(sentence) and entry.requires_seventh_character:
        yield Problem(path, n, f"says {entry.code} takes no 7th character, but it requires one")


def _unknown(code: str, cs: CodeSet) -> str:
    near = cs.nearest(code.rstrip("-"))
    hint = f" (nearest: {', '.join(near)})" if near else ""
    return f"unknown ICD-10-CM code {code}{hint}"


# -- rules --------------------------------------------------------------------------------------


def _check_rules(
    rules: list[LoadedRule], item_ids: dict[str, Card], cs: CodeSet
) -> Iterator[Problem]:
    seen: dict[str, LoadedRule] = {}
    for lr in rules:
        rule, path, line = lr.rule, str(lr.path), lr.line
        if rule.id in seen:
            yield Problem(
                path,
                line,
                f"duplicate rule id {rule.id} (also {seen[rule.id].path}:{seen[rule.id].line})",
            )
        seen[rule.id] = lr
        if rule.item not in item_ids:
            yield Problem(path, line, f"rule {rule.id} names unknown card item {rule.item}")
        patterns = [*rule.when.codes_any, *rule.when.codes_none, *rule.forbid, *rule.alternatives]
        for pattern in patterns:
            code = pattern.rstrip("-")
            entry = cs.get(code)
            if entry is None:
                yield Problem(path, line, f"rule {rule.id}: {_unknown(pattern, cs)}")
            elif pattern.endswith("-") and entry.billable:
                yield Problem(
                    path, line, f"rule {rule.id}: {pattern} ends in '-' but {code} is billable"
                )
        for code in rule.alternatives:
            if not code.endswith("-") and not cs.is_billable(code):
                yield Problem(path, line, f"rule {rule.id}: alternative {code} is not billable")
        yield from (
            Problem(path, line, f"rule {rule.id} message: {p.message}")
            for p in check_text(path, rule.message, cs, item_ids)
        )
        if rule.kind == "warning" and not (rule.forbid or rule.alternatives):
            yield Problem(path, line, f"warning rule {rule.id} neither forbids nor offers a code")
        if rule.kind == "prompt":
            for why in leading_wording(rule.message):
                yield Problem(path, line, f"prompt {rule.id} is not a compliant query: {why}")
        elif rule.axis or rule.options:
            yield Problem(path, line, f"rule {rule.id}: only a prompt asks for an axis or options")


# A documentation prompt is a query to the clinician (AHIMA/ACDIS compliant query practice): it
# names the clinical indicators and asks; it never mentions codes, coding rules or payment, which
# belong in warnings, written for coders.
_CODE_IN_TEXT = re.compile(r"\b[A-TV-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?-?(?![0-9A-Za-z])")
_THORACIC_LEVEL = re.compile(r"^T1[0-2]-?$")  # T10-T12 are vertebrae, not codes
_CODING_TALK = re.compile(
    r"\b(codes?|coded|coding|coder|billable|bill(?:ing|ed)?|payment|pay|paid|reimburs\w*|"
    r"revenue|charges?|DRG|HCC|RAF|7th character|seventh character|specificity|"
    r"documentation requirements?|query the provider)\b",
    re.IGNORECASE,
)


def leading_wording(text: str) -> list[str]:
    """Why a prompt's text is not a compliant query (empty when it is)."""
    out = []
    codes = [m for m in _CODE_IN_TEXT.finditer(text) if not _THORACIC_LEVEL.match(m.group(0))]
    if codes:
        out.append(f"names the code {codes[0].group(0)!r} (codes belong in warnings, for coders)")
    if m := _CODING_TALK.search(text):
        out.append(f"talks of coding or payment ({m.group(0)!r}); ask about the clinical facts")
    return out


# -- coding knowledge ------------------------------------------------------------------------------


def _check_coding_knowledge(
    folders: list[Path], cs: CodeSet, alphabetic: AlphabeticIndex | None = None
) -> Iterator[Problem]:
    from scribeplugin.concepts import is_concept
    from scribeplugin.knowledge import KnowledgeError, read_sources

    folders = [f for f in folders if f.exists()]
    if not folders:
        return
    try:
        k = CodingKnowledge.from_sources(read_sources(folders))
    except KnowledgeError as exc:
        path, _, rest = str(exc).partition(": ")
        file, _, line = path.rpartition(":")
        yield Problem(file or path, int(line) if line.isdigit() else 1, rest or str(exc))
        return
    for code, where in k.codes():
        file, _, line = where.rpartition(":")
        bare = code.rstrip("-")
        if cs.get(bare) is None and cs.get(bare + "A") is None:
            yield Problem(file, int(line), f"coding knowledge: {_unknown(code, cs)}")
    named = [
        *(
            (c, f"support:{p}")
            for p, cs_ in k.support.items()
            if f"support:{p}" in k.origin
            for c in cs_
        ),
        *((c, f"limb_conditions:{c}") for c in k.limb_conditions),
        *((c, f"pain:{c}") for c in k.pain),
        *(
            (x, f"limb_conditions:{c}")
            for c, limb in k.limb_conditions.items()
            for r in limb.routes
            for x in (r.site, r.structure, r.digit)
            if x
        ),
        *((c, f"contradicted_by:{x}") for x, cs_ in k.contradicted_by.items() for c in {x, *cs_}),
        *((c, f"confirm:{c}") for c in k.confirm),
        *((c, f"named:{c}") for c in k.named),
        *((c, f"groups:{g}") for g, cs_ in k.groups.items() for c in cs_),
        *((c, f"regions:{c}") for c in k.regions),
    ]
    for concept, tag in named:
        if not is_concept(concept):
            file, _, line = k.origin[tag].rpartition(":")
            yield Problem(file, int(line), f"coding knowledge {tag}: unknown concept {concept!r}")
    yield from _check_routes(k, alphabetic)


def _check_routes(k: CodingKnowledge, alphabetic: AlphabeticIndex | None) -> Iterator[Problem]:
    """Every route of the limbs (``coding.limbs``) walked in the Alphabetic Index: the path must
    lead where the route says (a new index release that moves an entry is caught here)."""
    if alphabetic is None:
        return
    routes = [
        *((f"limb_conditions:{c}", r) for c, lc in k.limb_conditions.items() for r in lc.routes),
        *((f"pain:{site}", r) for site, r in k.pain.items()),
    ]
    for tag, r in routes:
        hit = alphabetic.lookup(*r.index)
        got = hit.code if hit is not None else None
        if got is None or _stem(got) != _stem(r.code):
            file, _, line = k.origin[tag].rpartition(":")
            path = " > ".join(r.index)
            yield Problem(
                file,
                int(line) if line.isdigit() else 1,
                f"coding knowledge {tag}: the Alphabetic Index path {path!r} leads to "
                f"{got or 'no code'}"
                + (f" ({hit.trail})" if hit is not None else "")
                + f", not {r.code}",
            )


def _stem(code: str) -> str:
    return code.rstrip("-").rstrip(".")


# -- eval coverage --------------------------------------------------------------------------------


def _check_coverage(cards: list[Card], evals_dir: Path) -> Iterator[Problem]:
    from scribeplugin.evaluation.cases import coverage_gaps

    for card, item_id, line in coverage_gaps(cards, evals_dir / "cases"):
        kind = "FAQ item" if "/faq/" in item_id else "pitfall"
        yield Problem(
            str(card.path),
            line,
            f"{kind} {item_id} is covered by no eval case (list it in a case's covers: in "
            f"{evals_dir / 'cases'})",
        )


# -- clinical knowledge ----------------------------------------------------------------------------


def _check_knowledge(folders: list[Path], cs: CodeSet) -> Iterator[Problem]:
    """The extraction knowledge's own checks, and every code named in any knowledge file."""
    from scribeplugin.knowledge import KnowledgeError, knowledge_files
    from scribeplugin.knowledge.extraction_checks import check

    folders = [f for f in folders if f.exists()]
    if not folders:
        return
    _, issues = check(folders)
    yield from (Problem(i.path, i.line, i.message) for i in issues)
    try:
        paths = list(knowledge_files(folders))
    except KnowledgeError:  # pragma: no cover - reported by check() above
        return
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # reported by check() above
        for p in check_text(str(path), text, cs):
            if not _is_stem(p.message, cs):
                yield p


_UNKNOWN = re.compile(r"^unknown ICD-10-CM code ([A-Z][0-9A-Z.]+)")


def _is_stem(message: str, cs: CodeSet) -> bool:
    """A code stem of the coding tables (S13.4XX), which takes the encounter's 7th character."""
    m = _UNKNOWN.match(message)
    return m is not None and cs.get(m.group(1) + "A") is not None


# -- prompts and eval cases ------------------------------------------------------------------------


def _check_other_files(folder: Path, item_ids: dict[str, Card], cs: CodeSet) -> Iterator[Problem]:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if (
            path.suffix not in {".jinja", ".yaml", ".yml", ".md", ".txt", ".json"}
            or not path.is_file()
        ):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            yield Problem(str(path), 1, "not UTF-8 text")
            continue
        if path.suffix in {".yaml", ".yml"}:
            try:
                yaml.safe_load(text)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                yield Problem(str(path), mark.line + 1 if mark else 1, f"not valid YAML: {exc}")
                continue
        # Transcripts inside eval cases are free speech, not claims: check ids and codes only.
        for p in check_text(str(path), text, cs, item_ids):
            is_claim = "contradicts" in p.message or p.message.startswith("says ")
            if is_claim and path.suffix in {".yaml", ".yml", ".txt"}:
                continue
            yield p
