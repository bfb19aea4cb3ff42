"""The index against the tabular list in use: codes that changed, "see" references that lead
nowhere. Information for whoever loads a release, not a failure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scribeplugin.alphabetic.index import AlphabeticIndex, get_alphabetic

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet
    from scribeplugin.config import Settings


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """What the index says against the tabular list in use (information, not a failure).

    ``missing`` are the index's codes that are not items of the tabular list (changed since the
    index's release), each with the paths that give it; ``incomplete`` counts entries whose code
    the tabular list must still complete (a trailing ``-``, or a 7th character). Of the "see"
    references, ``resolved`` name an entry, ``waiting`` stop at a "by site" the coder fills in,
    and ``unresolved`` name no entry (a table, a range of categories, wording that differs from
    the entry's).
    """

    index: str
    code_set: str
    entries: int
    coded_entries: int
    codes: int
    missing: tuple[tuple[str, tuple[str, ...]], ...]
    incomplete: int
    see_references: int
    resolved: int
    waiting: int
    unresolved: tuple[tuple[str, str], ...]

    def report(self, limit: int = 20) -> str:
        lines = [
            f"{self.index}: {self.entries:,} entries, {self.coded_entries:,} with a code, "
            f"{self.codes:,} distinct codes; checked against {self.code_set}."
        ]
        if self.missing:
            lines.append(
                f"{len(self.missing):,} codes of the index are not items of the tabular list "
                "(changed since the index's release: code these from the tabular list):"
            )
            for code, paths in self.missing[:limit]:
                more = f" (and {len(paths) - 1} more)" if len(paths) > 1 else ""
                lines.append(f"  {code}  {paths[0]}{more}")
            if len(self.missing) > limit:
                lines.append(f"  ... {len(self.missing) - limit:,} more")
        else:
            lines.append("Every code of the index is an item of the tabular list.")
        lines.append(
            f"{self.incomplete:,} entries give a code the tabular list completes "
            "(a trailing '-', or a 7th character)."
        )
        lines.append(
            f"'see' references: {self.see_references:,}; {self.resolved:,} name an entry, "
            f"{self.waiting:,} stop at a 'by site' or 'by type' the coder fills in, "
            f"{len(self.unresolved):,} name no entry (a table, a range of categories, other "
            "wording), for example:"
        )
        lines.extend(f"  {path} -> see {ref}" for path, ref in self.unresolved[: min(limit, 5)])
        return "\n".join(lines)


def check_codes(index: AlphabeticIndex, codeset: CodeSet) -> CodeCheck:
    """Check every code of ``index`` against the loaded tabular list, and every "see"."""
    from scribeplugin.codeset import normalize

    paths_of: dict[str, list[str]] = {}
    incomplete = entries = coded = see_refs = resolved = waiting = 0
    unresolved: list[tuple[str, str]] = []
    for entry in index.entries():
        entries += 1
        if entry.code:
            coded += 1
        for code in entry.codes:
            paths_of.setdefault(normalize(code.rstrip("-")), []).append(entry.path_text)
        if entry.code_stem:
            item = codeset.get(entry.code_stem)
            if entry.needs_more_characters or (item is not None and not item.billable):
                incomplete += 1
        if entry.see:
            see_refs += 1
            found = index.resolve(entry.see)
            if found is not None and found.complete:
                resolved += 1
            elif found is not None and found.waiting:
                waiting += 1
            else:
                unresolved.append((entry.path_text, entry.see))
    missing = tuple(
        (code, tuple(paths)) for code, paths in sorted(paths_of.items()) if code not in codeset
    )
    return CodeCheck(
        index=index.release.name,
        code_set=codeset.release.name,
        entries=entries,
        coded_entries=coded,
        codes=len(paths_of),
        missing=missing,
        incomplete=incomplete,
        see_references=see_refs,
        resolved=resolved,
        waiting=waiting,
        unresolved=tuple(unresolved),
    )


def check_alphabetic_cli(settings: Settings, *, limit: int = 20, as_json: bool = False) -> int:
    """``scribeplugin index check-alphabetic``: the check's report; exit 0 (it informs)."""
    from scribeplugin.codeset import get_codeset

    index = get_alphabetic(settings.index_xml_path, settings.corpus_dir)
    codeset = get_codeset(settings.code_list_path, settings.tabular_xml_path)
    check = check_codes(index, codeset)
    if as_json:
        payload = {
            "index": check.index,
            "source": index.release.source,
            "code_set": check.code_set,
            "entries": check.entries,
            "coded_entries": check.coded_entries,
            "codes": check.codes,
            "missing": [{"code": c, "paths": list(p)} for c, p in check.missing],
            "incomplete": check.incomplete,
            "see_references": check.see_references,
            "see_resolved": check.resolved,
            "see_waiting": check.waiting,
            "unresolved": [{"path": p, "see": r} for p, r in check.unresolved],
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        print(check.report(limit))
    return 0
