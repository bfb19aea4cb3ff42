"""The LLM drafter: a LangChain chat model with structured output, behind the ``Drafter`` protocol.

The model sees the transcript (fenced as untrusted data), the extracted findings, the retrieved
passages with their chunk ids, the candidate codes and what the rules drafter found; it answers
with a ``DraftReply`` (``llm_schema``) that ``llm_parse`` turns into a ``Draft``. The pipeline's
guard then checks that draft exactly as it checks the rules drafter's.

Providers by configuration: ``openai`` is any OpenAI-compatible server (OpenAI, Azure OpenAI v1,
vLLM, llama.cpp server, Ollama's /v1), ``ollama`` is Ollama's native API. The structured-output
method (json_schema, function_calling, json_mode) and the name of the max-tokens field are
settings, because local servers differ in what they accept.

Any failure (timeout, HTTP error, refusal, unreachable server, a reply that cannot be parsed)
returns the rules drafter's draft with ``degraded_reason`` set: the request still gets an answer.
Nothing logged here holds transcript text or the API key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from scribeplugin.draft.llm_parse import (
    MAX_TEXT,
    coerce_reply,
    describe_validation_error,
    to_draft,
)
from scribeplugin.draft.llm_schema import DraftReply
from scribeplugin.draft.prompts import Message, PromptTemplate, load_prompt
from scribeplugin.draft.types import Citation, Draft, DraftContext, Drafter
from scribeplugin.errors import DrafterError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

    from scribeplugin.config import Settings

log = logging.getLogger(__name__)

# What the prompt carries beyond the transcript (about 4k tokens at most), so that a 16k-token
# context holds the instructions, a 6,000-word transcript and the reply.
MAX_PASSAGES = 30
MAX_PASSAGE_CHARS = 500
MAX_FINDINGS = 60


class LLMDrafter:
    """Drafts with a chat model; falls back to ``fallback`` (the rules drafter) on any failure.

    Thread-safe: the chat model and its structured-output runnable are built once, on first use,
    under a lock; LangChain chat models may be invoked from several threads.
    """

    name = "llm"

    def __init__(
        self,
        settings: Settings,
        fallback: Drafter,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings
        self.fallback = fallback
        self.model: str | None = settings.llm_model or (
            getattr(chat_model, "model_name", None) or getattr(chat_model, "model", None)
            if chat_model is not None
            else None
        )
        self.prompt_version: str | None = settings.llm_prompt
        # Loaded now: a missing or broken prompt is a start-up error, not a per-request one.
        self.template: PromptTemplate = load_prompt(settings.llm_prompt, settings.prompts_dir)
        self._chat_model = chat_model
        self._structured: Runnable[Any, Any] | None = None
        self._lock = threading.Lock()
        self.cache = (
            ReplyCache(settings.llm_cache_dir, bypass=settings.llm_cache_bypass)
            if settings.llm_cache_dir
            else None
        )

    # -- Drafter --------------------------------------------------------------------------------

    def draft(self, ctx: DraftContext) -> Draft:
        # The rules drafter's result is both an input of the prompt and the fallback.
        rules_draft = self.fallback.draft(ctx)
        started = time.perf_counter()
        cached = False
        try:
            if not self.model and self._chat_model is None:
                raise DrafterError("llm not configured: set SCRIBE_LLM_MODEL")
            messages = self.template.render(**prompt_inputs(ctx, rules_draft))
            key = self.cache_key(messages)
            reply = self.cache.get(key) if self.cache else None
            cached = reply is not None
            if reply is None:
                reply = self._ask(messages)
                if self.cache:
                    self.cache.put(key, reply)
            draft = to_draft(reply, ctx, known_ids=_rule_ids(rules_draft))
        except Exception as exc:  # every failure degrades; the reason says which
            try:
                reason = describe_failure(exc, self.settings)
            except Exception:  # pragma: no cover - describing must never break the fallback
                reason = f"llm error: {type(exc).__name__}"
            log.warning(
                "llm drafter fell back to rules: %s (provider=%s model=%s method=%s %.0f ms)",
                reason,
                self.settings.llm_provider,
                self.model,
                self.settings.llm_structured_method,
                (time.perf_counter() - started) * 1000,
            )
            return rules_draft.model_copy(update={"degraded_reason": reason, "drafter": "rules"})
        log.info(
            "llm draft: codes=%d prompts=%d warnings=%d cached=%s model=%s %.0f ms",
            len(draft.codes),
            len(draft.prompts),
            len(draft.warnings),
            cached,
            self.model,
            (time.perf_counter() - started) * 1000,
        )
        return _inherit_citations(draft, rules_draft)

    # -- model call -----------------------------------------------------------------------------

    def cache_key(self, messages: Sequence[Message]) -> str:
        """sha256 of model, prompt version and the rendered input."""
        payload = json.dumps(
            {
                "model": self.model,
                "prompt": self.prompt_version,
                "messages": [[m.role, m.content] for m in messages],
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def _ask(self, messages: Sequence[Message]) -> DraftReply:
        from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

        lc_messages: list[BaseMessage] = [
            SystemMessage(m.content) if m.role == "system" else HumanMessage(m.content)
            for m in messages
        ]
        result = self.structured.invoke(lc_messages)
        if not isinstance(result, dict):  # include_raw=True always gives a dict; be safe
            return coerce_reply(result)
        parsed, raw, error = result.get("parsed"), result.get("raw"), result.get("parsing_error")
        if parsed is not None:
            return coerce_reply(parsed)
        _raise_on_refusal(error, raw)
        # LangChain's parser gave up (prose around the JSON, a fence, a missing field, plain
        # content instead of a tool call): the lenient parser gets one more try on the raw reply.
        try:
            return coerce_reply(raw_reply(raw))
        except DrafterError:
            meta = getattr(raw, "response_metadata", None) or {}
            if "length" in (meta.get("finish_reason"), meta.get("done_reason")):
                raise DrafterError(_cut_off(self.settings)) from None
            raise

    @property
    def structured(self) -> Runnable[Any, Any]:
        """The chat model with structured output, built once."""
        if self._structured is None:
            with self._lock:
                if self._structured is None:
                    self._structured = self._build()
        return self._structured

    def _build(self) -> Runnable[Any, Any]:
        s = self.settings
        chat = self._chat_model or build_chat_model(s)
        runnable: Runnable[Any, Any] = chat.with_structured_output(
            DraftReply, method=s.llm_structured_method, include_raw=True
        )
        if self._chat_model is None and s.llm_provider == "ollama" and s.llm_max_retries:
            # The OpenAI client retries on its own; the Ollama client does not.
            import httpx

            runnable = runnable.with_retry(
                retry_if_exception_type=(httpx.TransportError, ConnectionError),
                stop_after_attempt=s.llm_max_retries + 1,
                wait_exponential_jitter=False,
            )
        return runnable


def build_chat_model(settings: Settings) -> BaseChatModel:
    """The LangChain chat model the settings describe (imported here: LangChain loads lazily)."""
    s = settings
    if not s.llm_model:
        raise DrafterError("llm not configured: set SCRIBE_LLM_MODEL")
    key = s.llm_api_key.get_secret_value() if s.llm_api_key else None
    if s.llm_provider == "ollama":
        from langchain_ollama import ChatOllama

        client_kwargs: dict[str, Any] = {"timeout": s.llm_timeout_s}
        if key:
            client_kwargs["headers"] = {"Authorization": f"Bearer {key}"}
        ollama_kwargs: dict[str, Any] = {
            "model": s.llm_model,
            "num_predict": s.llm_max_output_tokens,
            "client_kwargs": client_kwargs,
        }
        if s.llm_base_url:
            ollama_kwargs["base_url"] = s.llm_base_url
        if s.llm_temperature is not None:
            ollama_kwargs["temperature"] = s.llm_temperature
        if s.llm_num_ctx:
            ollama_kwargs["num_ctx"] = s.llm_num_ctx  # Ollama silently truncates past it
        return ChatOllama(**ollama_kwargs)

    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    kwargs: dict[str, Any] = {
        "model": s.llm_model,
        "timeout": s.llm_timeout_s,
        "max_retries": s.llm_max_retries,
        # Local OpenAI-compatible servers implement Chat Completions only.
        "use_responses_api": False,
    }
    if s.llm_base_url:
        kwargs["base_url"] = s.llm_base_url
        # Never send an OPENAI_API_KEY from the environment to some other server.
        kwargs["api_key"] = SecretStr(key or "not-needed")
    elif key:
        kwargs["api_key"] = SecretStr(key)
    if s.llm_temperature is not None:
        kwargs["temperature"] = s.llm_temperature
    if s.llm_max_tokens_param == "max_completion_tokens":
        kwargs["max_tokens"] = s.llm_max_output_tokens  # ChatOpenAI sends max_completion_tokens
    else:
        # ChatOpenAI renames max_tokens to max_completion_tokens, which llama.cpp, older vLLM
        # and others ignore; extra_body puts the legacy field into the request as it is.
        kwargs["extra_body"] = {"max_tokens": s.llm_max_output_tokens}
    return ChatOpenAI(**kwargs)


# -- prompt inputs ------------------------------------------------------------------------------


def prompt_inputs(ctx: DraftContext, rules_draft: Draft) -> dict[str, Any]:
    """The inputs of the draft prompt (see the header of ``prompts/draft.v1.jinja``)."""
    text: str = ctx.transcript.text
    turns = list(getattr(ctx.transcript, "turns", None) or [])
    rendered_turns = [
        {"n": i, "speaker": _speaker(getattr(t, "speaker", None)), "text": _turn_text(t, text)}
        for i, t in enumerate(turns, 1)
    ] or [{"n": 1, "speaker": "Unknown", "text": text}]
    return {
        "fence": transcript_fence(text),
        "turns": rendered_turns,
        "findings": [_finding(f, text) for f in ctx.findings[:MAX_FINDINGS]],
        "passages": [
            {
                "chunk_id": p.chunk_id,
                "ref": Citation.of(p).ref,
                "text": _clip(" ".join(str(p.text).split()), MAX_PASSAGE_CHARS),
            }
            for p in _chosen_passages(ctx, rules_draft)
        ],
        "candidates": [_candidate(c, ctx) for c in ctx.candidates],
        "rule_results": {
            "codes": [
                {"code": c.code, "status": c.status, "rationale": c.rationale}
                for c in rules_draft.codes
            ],
            "prompts": [
                {"id": p.id, "code": p.code, "note_section": p.note_section, "text": p.text}
                for p in rules_draft.prompts
            ],
            "warnings": [
                {
                    "rule": w.rule,
                    "codes": w.codes,
                    "message": w.message,
                    "alternatives": w.alternatives,
                }
                for w in rules_draft.warnings
            ],
        },
    }


def _chosen_passages(ctx: DraftContext, rules_draft: Draft) -> list[Any]:
    """At most MAX_PASSAGES: those the rules drafter cites first, then those about a candidate
    code, then the rest in retrieval order (a stable sort keeps the order within each group)."""
    cited = {
        c.chunk_id
        for group in (rules_draft.codes, rules_draft.prompts, rules_draft.warnings)
        for item in group
        for c in item.citations
    }
    candidates = set(ctx.candidates)

    def rank(p: Any) -> int:
        return 0 if p.chunk_id in cited else 1 if p.code in candidates else 2

    return sorted(ctx.passages, key=rank)[:MAX_PASSAGES]


def transcript_fence(text: str) -> str:
    """A marker the transcript cannot contain: it is derived from the transcript itself."""
    return "TRANSCRIPT-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16].upper()


def _speaker(speaker: object) -> str:
    s = str(speaker or "unknown").strip()
    return s[:1].upper() + s[1:] if s else "Unknown"


def _turn_text(turn: object, text: str) -> str:
    value = getattr(turn, "text", None)
    if isinstance(value, str):
        return value
    start, end = getattr(turn, "start", 0), getattr(turn, "end", len(text))
    return text[start:end]


def _finding(f: Any, text: str) -> dict[str, Any]:
    details = [
        f"{label} {value}"
        for label, value in (
            ("level", getattr(f, "level", None)),
            ("region", getattr(f, "region", None)),
            ("side", getattr(f, "laterality", None)),
        )
        if value
    ]
    quote = getattr(f, "text", None)
    return {
        "concept": f.concept,
        "category": str(f.category),
        "assertion": f.assertion,
        "speaker": f.speaker,
        "text": quote if isinstance(quote, str) else text[f.start : f.end],
        "details": ", ".join(details),
    }


def _candidate(code: str, ctx: DraftContext) -> dict[str, Any]:
    entry = ctx.codeset.get(code)
    return {
        "code": entry.code if entry else code,
        "display": entry.description if entry else "(not in the code set)",
        "billable": bool(entry and entry.billable),
    }


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _rule_ids(draft: Draft) -> set[str]:
    return {p.id for p in draft.prompts} | {w.rule for w in draft.warnings}


def _inherit_citations(draft: Draft, rules_draft: Draft) -> Draft:
    """A prompt or warning the model repeated by rule id takes what the rules drafter found for
    that rule where the model gave none the guard can keep: its citations, and its evidence
    (the model's schema carries no quotes for prompts and warnings; one of the model's own,
    with no rule id, has none, and the guard removes it)."""
    by_prompt = {p.id: p for p in rules_draft.prompts}
    by_warning = {w.rule: w for w in rules_draft.warnings}

    def cited(citations: list[Citation]) -> bool:
        return any(c.source != "unknown" for c in citations)

    prompts = []
    for p in draft.prompts:
        mine = by_prompt.get(p.id)
        if mine is not None:
            p = p.model_copy(
                update={
                    "citations": p.citations if cited(p.citations) else mine.citations,
                    "evidence": p.evidence or mine.evidence,
                    "axis": p.axis or mine.axis,
                    "options": p.options or mine.options,
                }
            )
        prompts.append(p)
    warnings = []
    for w in draft.warnings:
        found = by_warning.get(w.rule)
        if found is not None:
            w = w.model_copy(
                update={
                    "citations": w.citations if cited(w.citations) else found.citations,
                    "evidence": w.evidence or found.evidence,
                }
            )
        warnings.append(w)
    return draft.model_copy(update={"prompts": prompts, "warnings": warnings})


# -- replies and failures -------------------------------------------------------------------------


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
