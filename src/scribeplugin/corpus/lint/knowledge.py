"""The knowledge: the coding knowledge (section ``coding``) names only real codes (a stem such as
S13.4XX takes a 7th character) and known finding concepts, and every route of the limbs leads
where it says in the Alphabetic Index; the clinical knowledge passes its own checks
(``knowledge.extraction_checks``) and every code named in a knowledge file exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from scribeplugin.codeset import CodeSet
from scribeplugin.corpus.lint.problem import Problem, unknown_code
from scribeplugin.corpus.lint.text import check_text
from scribeplugin.knowledge.coding import CodingKnowledge

if TYPE_CHECKING:
    from scribeplugin.alphabetic import AlphabeticIndex


def check_coding_knowledge(
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
            yield Problem(file, int(line), f"coding knowledge: {unknown_code(code, cs)}")
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
            for r in limb.all_routes
            for x in (r.site, r.structure, r.digit)
            if x
        ),
        *(
            (x, f"limb_conditions:{c}")
            for c, limb in k.limb_conditions.items()
            for x in (*limb.supersedes, *limb.sign_of, *limb.aftercare_not_with)
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
    for c, limb in k.limb_conditions.items():
        for part in limb.parts:
            if f"part_{part}" not in k.phrases:
                file, _, line = k.origin[f"limb_conditions:{c}"].rpartition(":")
                yield Problem(
                    file,
                    int(line),
                    f"coding knowledge limb_conditions:{c}: route part {part!r} needs the word "
                    f"list coding.phrases.part_{part}",
                )
    yield from _check_routes(k, alphabetic)


def _check_routes(k: CodingKnowledge, alphabetic: AlphabeticIndex | None) -> Iterator[Problem]:
    """Every route of the limbs (``coding.limbs``) walked in the Alphabetic Index: the path must
    lead where the route says (a new index release that moves an entry is caught here)."""
    if alphabetic is None:
        return
    routes = [
        *(
            (f"limb_conditions:{c}", r)
            for c, lc in k.limb_conditions.items()
            for r in lc.all_routes
        ),
        *((f"pain:{site}", r) for site, r in k.pain.items()),
    ]
    for tag, r in routes:
        hit = alphabetic.lookup(*r.index)
        got = hit.code if hit is not None else None
        if got is None or not r.given_by(got):
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


def check_knowledge(folders: list[Path], cs: CodeSet) -> Iterator[Problem]:
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
