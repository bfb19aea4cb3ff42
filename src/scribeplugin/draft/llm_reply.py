"""The LLM drafter's replies and failures: what the model said, refusals, the one-line reason a
draft fell back to the rules drafter (never transcript text or the key), and the reply cache on
disk.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from scribeplugin.draft.llm_parse import (
    MAX_TEXT,
    describe_validation_error,
)
from scribeplugin.draft.llm_prompt import _clip
from scribeplugin.draft.llm_schema import DraftReply
from scribeplugin.errors import DrafterError

if TYPE_CHECKING:
    from scribeplugin.config import Settings

log = logging.getLogger("scribeplugin.draft.llm")  # the name it has always logged under


def raw_reply(raw: Any) -> Any:
    """What the model actually said: the first tool call's arguments, else the text content."""
    if raw is None:
        raise DrafterError("llm reply not parseable: no reply")
    tool_calls = getattr(raw, "tool_calls", None) or []
    if tool_calls:
        return tool_calls[0].get("args")
    invalid = getattr(raw, "invalid_tool_calls", None) or []
    if invalid:  # arguments that were not JSON: the parser reports it
        return invalid[0].get("args") or ""
    content = getattr(raw, "content", raw)
    if isinstance(content, list):  # content blocks
        content = "".join(
            b if isinstance(b, str) else str(b.get("text", ""))
            for b in content
            if isinstance(b, str | dict)
        )
    return content


class LLMRefusalError(DrafterError):
    """The model declined to answer."""


def _raise_on_refusal(error: object, raw: Any) -> None:
    from langchain_core.exceptions import ModelRefusalError

    if isinstance(error, ModelRefusalError):
        raise LLMRefusalError("llm refused to answer")
    if raw is not None and (getattr(raw, "additional_kwargs", None) or {}).get("refusal"):
        raise LLMRefusalError("llm refused to answer")


def _cut_off(settings: Settings) -> str:
    return (
        f"llm reply not parseable: cut off at {settings.llm_max_output_tokens} tokens "
        "(raise SCRIBE_LLM_MAX_OUTPUT_TOKENS)"
    )


def describe_failure(exc: BaseException, settings: Settings) -> str:
    """A short reason for ``engine.degraded_reason`` and the log: never transcript text."""
    import httpx
    from langchain_core.exceptions import (
        ModelConnectionError,
        ModelRefusalError,
        ModelTimeoutError,
        OutputParserException,
    )

    timeouts: tuple[type[BaseException], ...] = (
        ModelTimeoutError,
        httpx.TimeoutException,
        TimeoutError,
    )
    try:
        import openai

        timeouts += (openai.APITimeoutError,)
        connection: tuple[type[BaseException], ...] = (openai.APIConnectionError,)
        cut_off: tuple[type[BaseException], ...] = (openai.LengthFinishReasonError,)
    except ImportError:  # pragma: no cover - langchain-openai brings openai
        connection = cut_off = ()
    if isinstance(exc, timeouts):
        return f"llm timeout after {settings.llm_timeout_s:.1f} s"
    if isinstance(exc, cut_off):
        return _cut_off(settings)
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status > 0:
        return f"llm HTTP {status}"
    if isinstance(exc, ModelRefusalError):
        return "llm refused to answer"
    if isinstance(exc, (ModelConnectionError, httpx.TransportError, ConnectionError, *connection)):
        return "llm unreachable: connection failed"
    if isinstance(exc, DrafterError):
        return _clip(str(exc), MAX_TEXT)
    if isinstance(exc, ValidationError):
        return f"llm reply not parseable: {describe_validation_error(exc)}"
    if isinstance(exc, OutputParserException | json.JSONDecodeError):
        return "llm reply not parseable: invalid JSON"
    return f"llm error: {type(exc).__name__}"


class ReplyCache:
    """Replies on disk, one JSON file per key, so reruns (evals) are free and repeatable.

    Replies quote the transcript: the folder holds PHI whenever real transcripts go through.
    """

    def __init__(self, folder: Path, bypass: bool = False) -> None:
        self.folder = folder
        self.bypass = bypass

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> DraftReply | None:
        if self.bypass:
            return None
        path = self.path(key)
        try:
            return DraftReply.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError):
            log.warning("llm reply cache: ignoring unreadable entry %s", path.name)
            return None

    def put(self, key: str, reply: DraftReply) -> None:
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(reply.model_dump_json())
            Path(tmp).replace(path)  # atomic: concurrent writers of one key are harmless
        except OSError as exc:
            log.warning("llm reply cache: cannot write %s (%s)", path.name, type(exc).__name__)
