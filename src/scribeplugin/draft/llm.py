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

The prompt's inputs are built in ``llm_prompt``, replies and failures read in ``llm_reply``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scribeplugin.draft.llm_parse import (
    coerce_reply,
    to_draft,
)
from scribeplugin.draft.llm_prompt import MAX_PASSAGES as MAX_PASSAGES
from scribeplugin.draft.llm_prompt import _inherit_citations, _rule_ids, prompt_inputs
from scribeplugin.draft.llm_prompt import transcript_fence as transcript_fence
from scribeplugin.draft.llm_reply import LLMRefusalError as LLMRefusalError
from scribeplugin.draft.llm_reply import (
    ReplyCache,
    _cut_off,
    _raise_on_refusal,
    describe_failure,
    raw_reply,
)
from scribeplugin.draft.llm_schema import DraftReply
from scribeplugin.draft.prompts import Message, PromptTemplate, load_prompt
from scribeplugin.draft.types import Draft, DraftContext, Drafter
from scribeplugin.errors import DrafterError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

    from scribeplugin.config import Settings

log = logging.getLogger(__name__)


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
