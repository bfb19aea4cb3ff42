"""Clinical knowledge as data: ``corpus/knowledge/**/*.yaml`` (and extra folders), loaded here.

A knowledge file is a YAML mapping of *sections*. Each section belongs to one engine, which
validates it with pydantic in its own module (``knowledge.extraction`` for what extraction
finds, ``knowledge.coding`` for how findings become codes). This module only reads the files,
refuses unknown sections (naming the file), and hands each engine its sections in file order,
so a content editor can add a condition family as one more file, and the corpus lint can check
every file as it checks the cards.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scribeplugin.errors import CorpusError

# Section name -> the module that validates it. Add a section here when an engine needs one.
SECTIONS: dict[str, str] = {
    # knowledge.extraction
    "vocabulary": "extraction",
    "concepts": "extraction",
    "targets": "extraction",
    "context": "extraction",
    # knowledge.coding
    "coding": "coding",
}


# libyaml when present: the files are read at every start-up, and the pure-Python parser takes
# about a second for them.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeError(CorpusError):
    """A knowledge file that cannot be read or fails validation; names the file."""


@dataclass(frozen=True, slots=True)
class Part:
    """One section of one file."""

    path: Path
    line: int
    data: Any


@dataclass(slots=True)
class Sources:
    """Every section of every knowledge file, in file order (folders in the order given)."""

    files: list[Path] = field(default_factory=list)
    parts: dict[str, list[Part]] = field(default_factory=dict)

    def section(self, name: str) -> list[Part]:
        if name not in SECTIONS:
            raise KeyError(f"unknown knowledge section {name!r}")
        return self.parts.get(name, [])


def knowledge_files(folders: Iterable[Path]) -> Iterator[Path]:
    for folder in folders:
        if folder.is_file():
            yield folder
        elif folder.is_dir():
            yield from sorted(p for p in folder.rglob("*.yaml") if p.is_file())
        else:
            raise KnowledgeError(f"{folder}: no such knowledge folder or file")


def read_sources(folders: Iterable[Path]) -> Sources:
    """Read every ``*.yaml`` under ``folders``; :class:`KnowledgeError` on a bad file."""
    sources = Sources()
    for path in knowledge_files(folders):
        try:
            text = path.read_text(encoding="utf-8")
            node = yaml.compose(text, Loader=_Loader)
            data = yaml.load(text, Loader=_Loader)
        except (OSError, UnicodeDecodeError) as exc:
            raise KnowledgeError(f"{path}: cannot read ({exc})") from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else 1
            raise KnowledgeError(f"{path}:{line}: not valid YAML ({exc})") from exc
        if data is None:
            continue
        if not isinstance(data, dict):
            raise KnowledgeError(f"{path}:1: a knowledge file is a mapping of sections")
        lines = {
            k.value: k.start_mark.line + 1
            for k, _ in (node.value if isinstance(node, yaml.MappingNode) else [])
        }
        for name, value in data.items():
            if name not in SECTIONS:
                raise KnowledgeError(
                    f"{path}:{lines.get(name, 1)}: unknown section {name!r}; "
                    f"known: {', '.join(sorted(SECTIONS))}"
                )
            sources.parts.setdefault(name, []).append(Part(path, lines.get(name, 1), value))
        sources.files.append(path)
    return sources
