"""Prompts and eval cases: UTF-8 text, valid YAML, and only real codes and existing item ids
(the transcripts inside eval cases are free speech, not claims: their labels are not checked).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml

from scribeplugin.codeset import CodeSet
from scribeplugin.corpus.cards import Card
from scribeplugin.corpus.lint.problem import Problem
from scribeplugin.corpus.lint.text import check_text


def check_other_files(folder: Path, item_ids: dict[str, Card], cs: CodeSet) -> Iterator[Problem]:
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
