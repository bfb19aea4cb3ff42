"""A scripted OpenAI-compatible server for contract tests of the LLM drafter, over real HTTP.

A FastAPI app (``POST /v1/chat/completions``, ``GET /v1/models``, and Ollama's native
``POST /api/chat`` with its NDJSON stream) served by uvicorn in a background thread on
127.0.0.1 and a free port. Each test chooses what the "model" answers
(a ``Reply``, or a function of the request that returns one); the server records every request
it receives so tests can assert the request's shape. The reply takes the form the request asks
for: a tool call when the request carries ``tools`` (function calling), message content
otherwise (json_schema and json_mode).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse


@dataclass(frozen=True)
class Reply:
    """What the scripted model answers to one request."""

    body: str = ""  # the content, or the tool-call arguments when the request has tools
    status: int = 200
    delay_s: float = 0.0
    refusal: str | None = None
    finish_reason: str | None = None  # e.g. "length"; default: what the reply implies

    @classmethod
    def json(cls, data: Any, **kw: Any) -> Reply:
        return cls(body=json.dumps(data), **kw)


Script = Reply | Callable[[dict[str, Any]], Reply]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class ScriptedServer:
    """Start with ``start()``; ``url`` is the base URL to give the client (ends in ``/v1``)."""

    model: str = "scripted-model"
    script: Script = field(
        default_factory=lambda: Reply.json({"codes": [], "prompts": [], "warnings": []})
    )
    requests: list[Recorded] = field(default_factory=list)
    port: int = 0
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def root(self) -> str:
        """The base URL for Ollama's native API (no /v1)."""
        return f"http://127.0.0.1:{self.port}"

    def reply_with(self, script: Script) -> None:
        """Choose the next replies, and forget the requests recorded so far."""
        self.script = script
        self.requests.clear()

    @property
    def completions(self) -> list[dict[str, Any]]:
        """The bodies of the chat requests received (OpenAI or Ollama native)."""
        return [r.body or {} for r in self.requests if r.path.endswith(("/completions", "/chat"))]

    async def _reply(self, body: dict[str, Any]) -> Reply:
        script = self.script
        reply = script(body) if callable(script) else script
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        return reply

    # -- app ------------------------------------------------------------------------------------

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/models")
        async def models(request: Request) -> dict[str, Any]:
            self._record(request, None)
            return {
                "object": "list",
                "data": [{"id": self.model, "object": "model", "created": 0, "owned_by": "tests"}],
            }

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> JSONResponse:
            body = await request.json()
            self._record(request, body)
            reply = await self._reply(body)
            if reply.status != 200:
                return JSONResponse(
                    {
                        "error": {
                            "message": "scripted failure",
                            "type": "server_error",
                            "param": None,
                            "code": None,
                        }
                    },
                    status_code=reply.status,
                    headers={"retry-after-ms": "10"},  # keep the client's retries quick
                )
            return JSONResponse(_completion(body, reply, self.model))

        @app.post("/api/chat")
        async def ollama_chat(request: Request) -> Response:
            body = await request.json()
            self._record(request, body)
            reply = await self._reply(body)
            if reply.status != 200:
                return JSONResponse({"error": "scripted failure"}, status_code=reply.status)
            parts = _ollama_parts(body, reply, self.model)
            if body.get("stream") is False:
                return JSONResponse({**parts[-1], "message": parts[0]["message"]})
            lines = "".join(json.dumps(p) + "\n" for p in parts)
            return StreamingResponse(iter([lines]), media_type="application/x-ndjson")

        return app

    def _record(self, request: Request, body: dict[str, Any] | None) -> None:
        self.requests.append(
            Recorded(request.method, request.url.path, dict(request.headers), body)
        )

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, timeout_s: float = 10.0) -> ScriptedServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app(), log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/models", timeout=0.5).status_code == 200:
                    self.requests.clear()
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"scripted OpenAI server did not answer on {self.url}")

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None


def _completion(request: dict[str, Any], reply: Reply, model: str) -> dict[str, Any]:
    tools = request.get("tools") or []
    message: dict[str, Any]
    if reply.refusal is not None:
        message = {"role": "assistant", "content": None, "refusal": reply.refusal}
        finish = "stop"
    elif tools:
        name = tools[0]["function"]["name"]
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {"name": name, "arguments": reply.body},
                }
            ],
        }
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": reply.body, "refusal": None}
        finish = "stop"
    finish = reply.finish_reason or finish
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", model),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
    }


def _ollama_parts(request: dict[str, Any], reply: Reply, model: str) -> list[dict[str, Any]]:
    """Ollama's stream: the message, then a closing part with ``done`` and the counts."""
    tools = request.get("tools") or []
    message: dict[str, Any] = {"role": "assistant", "content": reply.body}
    if tools:
        try:
            arguments = json.loads(reply.body)
        except json.JSONDecodeError:
            arguments = None
        if isinstance(arguments, dict):
            name = tools[0]["function"]["name"]
            message = {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"function": {"name": name, "arguments": arguments}}],
            }
    stamp = "2026-01-01T00:00:00Z"
    return [
        {
            "model": request.get("model", model),
            "created_at": stamp,
            "message": message,
            "done": False,
        },
        {
            "model": request.get("model", model),
            "created_at": stamp,
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": reply.finish_reason or "stop",
            "total_duration": 1000,
            "load_duration": 10,
            "prompt_eval_count": 100,
            "prompt_eval_duration": 100,
            "eval_count": 50,
            "eval_duration": 100,
        },
    ]
