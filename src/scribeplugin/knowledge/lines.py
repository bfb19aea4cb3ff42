"""Where things are in the knowledge files: line numbers of keys, so that every problem can be
reported as ``file:line: message``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml


@lru_cache(maxsize=256)
def _tree(path: Path, mtime_ns: int, size: int) -> yaml.Node | None:
    try:
        return yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def line_of(path: Path, keys: tuple[str | int, ...]) -> int:
    """The line of the deepest of ``keys`` (mapping keys, sequence indexes) found in the file.

    A key that is not there is skipped, so a path written for a long form (``name.patterns.2``)
    also finds the short one (``name.2``)."""
    try:
        stat = path.stat()
    except OSError:
        return 1
    node = _tree(path, stat.st_mtime_ns, stat.st_size)
    line = 1
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                    line, node = k.start_mark.line + 1, v
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
    return line


@dataclass(frozen=True, slots=True, order=True)
class Issue:
    """One problem in a knowledge file."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class Where:
    path: Path
    keys: tuple[str | int, ...]

    def issue(self, message: str) -> Issue:
        return Issue(str(self.path), line_of(self.path, self.keys), message)

    def __str__(self) -> str:
        return f"{self.path}:{line_of(self.path, self.keys)}"
