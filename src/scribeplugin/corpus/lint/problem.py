"""A problem the lint reports (``file:line: reason``), and the message for an unknown code."""

from __future__ import annotations

from dataclasses import dataclass

from scribeplugin.codeset import CodeSet


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def unknown_code(code: str, cs: CodeSet) -> str:
    near = cs.nearest(code.rstrip("-"))
    hint = f" (nearest: {', '.join(near)})" if near else ""
    return f"unknown ICD-10-CM code {code}{hint}"
