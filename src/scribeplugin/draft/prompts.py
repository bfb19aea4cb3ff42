"""Versioned prompt templates: ``prompts/<name>.v<N>.jinja``, loaded by name (``draft.v1``).

A template file starts with a Jinja comment header stating its inputs and output schema, then
holds one section per chat message, each opened by a line ``--- system ---`` or ``--- user ---``.
The file is split into sections *before* rendering, and each section is rendered on its own
with ``StrictUndefined``, so a transcript that contains a marker line cannot forge a message and
a missing input is an error, not an empty string. Few-shot examples live beside the template as
data (``<name>.v<N>.examples.yaml``) and reach it as the ``examples`` input.

A released version is never edited: change the prompt by adding ``<name>.v<N+1>.jinja``.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jinja2
import yaml

from scribeplugin.errors import ConfigError, DrafterError

Role = Literal["system", "user"]
PROMPT_NAME = re.compile(r"^([a-z][a-z0-9_]*)\.v([0-9]+)$")
_HEADER = re.compile(r"\A\s*\{#-?(.*?)-?#\}", re.DOTALL)
_MARKER = re.compile(r"^--- (system|user) ---[ \t]*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """One prompt version: its header, its message templates and its few-shot examples."""

    id: str  # "draft.v1"
    path: Path
    header: str
    sections: tuple[tuple[Role, jinja2.Template], ...]
    examples: tuple[dict[str, Any], ...]

    @property
    def inputs(self) -> tuple[str, ...]:
        """The input names the header declares (lines ``  name: ...`` under ``Inputs:``)."""
        return declared_inputs(self.header)

    def render(self, **inputs: Any) -> list[Message]:
        """The chat messages for these inputs (``examples``, when declared, comes from the
        examples file)."""
        values = dict(inputs)
        if "examples" in self.inputs:
            values.setdefault("examples", list(self.examples))
        missing = [n for n in self.inputs if n not in values]
        unexpected = [n for n in values if n not in self.inputs]
        if missing or unexpected:
            raise DrafterError(
                f"prompt {self.id}: inputs {sorted(values)} do not match the header "
                f"(missing {missing}, not declared {unexpected}); update the caller or add a "
                "new prompt version"
            )
        out = []
        for role, template in self.sections:
            try:
                content = template.render(**values)
            except jinja2.UndefinedError as exc:
                raise DrafterError(f"prompt {self.id}: {exc.message}") from None
            out.append(Message(role, content.strip() + "\n"))
        return out


def declared_inputs(header: str) -> tuple[str, ...]:
    names: list[str] = []
    in_inputs = False
    for line in header.splitlines():
        if re.match(r"^\s*Inputs:\s*$", line):
            in_inputs = True
            continue
        if in_inputs:
            m = re.match(r"^\s{2,6}([a-z_][a-z0-9_]*):", line)
            if m:
                names.append(m.group(1))
            elif line.strip() and not line.startswith(" " * 7):
                break
    return tuple(names)


def _environment(folder: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text for a model, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["json"] = lambda v: json.dumps(v, ensure_ascii=False)
    return env


def load_prompt(name: str, prompts_dir: Path) -> PromptTemplate:
    """The template ``prompts_dir/<name>.jinja`` (e.g. ``draft.v1``), parsed and checked."""
    key = (name, str(prompts_dir.resolve()))
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
    template = _load(name, prompts_dir)
    with _LOCK:
        return _CACHE.setdefault(key, template)


_CACHE: dict[tuple[str, str], PromptTemplate] = {}
_LOCK = threading.Lock()


def _load(name: str, prompts_dir: Path) -> PromptTemplate:
    if not PROMPT_NAME.match(name):
        raise ConfigError(
            f"Prompt name {name!r} is not of the form '<name>.v<N>', e.g. 'draft.v1'."
        )
    path = prompts_dir / f"{name}.jinja"
    if not path.is_file():
        found = (
            sorted(p.stem for p in prompts_dir.glob("*.v*.jinja")) if prompts_dir.is_dir() else []
        )
        raise ConfigError(
            f"No prompt {name!r}: {path} does not exist. Available: {', '.join(found) or 'none'}. "
            "Check SCRIBE_LLM_PROMPT and SCRIBE_PROMPTS_DIR."
        )
    source = path.read_text(encoding="utf-8")
    header = _HEADER.match(source)
    if header is None:
        raise ConfigError(f"{path}: a prompt must start with a {{# ... #}} header (inputs, output)")
    body = source[header.end() :]
    marks = list(_MARKER.finditer(body))
    if not marks or body[: marks[0].start()].strip():
        raise ConfigError(
            f"{path}: after the header, each message opens with '--- system ---' "
            "or '--- user ---' on its own line"
        )
    env = _environment(prompts_dir)
    sections: list[tuple[Role, jinja2.Template]] = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        role: Role = "system" if m.group(1) == "system" else "user"
        try:
            sections.append((role, env.from_string(body[m.end() : end].strip("\n"))))
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(f"{path}: template syntax error: {exc.message}") from None
    examples_path = prompts_dir / f"{name}.examples.yaml"
    examples: list[dict[str, Any]] = []
    if examples_path.is_file():
        data = yaml.safe_load(examples_path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("examples"), list):
            raise ConfigError(f"{examples_path}: expected a mapping with an 'examples' list")
        examples = data["examples"]
    return PromptTemplate(name, path, header.group(1), tuple(sections), tuple(examples))
