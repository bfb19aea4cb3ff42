"""The rules: ids unique; they name existing card items and real codes; a warning forbids or
offers a code; a documentation prompt is a compliant query (no codes, no coding or payment talk).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scribeplugin.codeset import CodeSet
from scribeplugin.corpus.cards import Card
from scribeplugin.corpus.lint.problem import Problem, unknown_code
from scribeplugin.corpus.lint.text import check_text
from scribeplugin.corpus.rules import LoadedRule, Rule, code_matches


def check_rules(
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
                yield Problem(path, line, f"rule {rule.id}: {unknown_code(pattern, cs)}")
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
        if removes_on_any_injury(rule):
            yield Problem(
                path,
                line,
                f"rule {rule.id} removes the code it warns about on an injury read anywhere in "
                "the visit; whether the condition is that injury's is read beside it (the "
                "coding step's traumatic route): warn with alternatives, without forbid",
            )
        if rule.kind == "prompt":
            for why in leading_wording(rule.message):
                yield Problem(path, line, f"prompt {rule.id} is not a compliant query: {why}")
        elif rule.axis or rule.options:
            yield Problem(path, line, f"rule {rule.id}: only a prompt asks for an axis or options")


def removes_on_any_injury(rule: Rule) -> bool:
    """A warning that reads an injury anywhere in the visit (``injury_event``: "I fell off my
    bike last year") and forbids the very codes it is about: it would remove a degenerative
    cuff tear or a trigger finger from any visit that tells of an accident."""
    w = rule.when
    if "injury_event" not in (*w.findings_all, *w.findings_any):
        return False
    return any(code_matches(c, f) or code_matches(f, c) for c in w.codes_any for f in rule.forbid)


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
