"""ASGI middleware: request context (id, metrics, one log line, headers) and the body guard.

Both are plain ASGI classes (no BaseHTTPMiddleware): they see every request, including those
refused before routing, and add nothing measurable to latency.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
import uuid
from collections.abc import Iterable, Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scribeplugin.api.errors import ErrorDetail
from scribeplugin.api.metrics import Metrics

log = logging.getLogger("scribeplugin.api.access")

_UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_BODY_METHODS = {"POST", "PUT", "PATCH"}


async def send_error(send: Send, status: int, type_: str, message: str, request_id: str) -> None:
    body = json.dumps(
        {"error": ErrorDetail(type=type_, message=message).model_dump(exclude_none=True)}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def request_id_of(scope: Scope) -> str:
    state = scope.setdefault("state", {})
    rid = state.get("request_id")
    if rid is None:
        rid = state["request_id"] = uuid.uuid4().hex
    return str(rid)


class RequestContextMiddleware:
    """Outermost: a request id for every request (``X-Request-ID``), Prometheus counts and
    latency by route template, one access log line without the query string (a search URL may
    carry transcript text), security headers, and a JSON 500 for anything unhandled."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: Sequence[BaseRoute] = ()) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        path: str = scope.get("path", "")
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = request_id
                headers["x-content-type-options"] = "nosniff"
                headers["referrer-policy"] = "no-referrer"
                if path.startswith("/ui"):
                    headers["content-security-policy"] = _UI_CSP
                    headers["x-frame-options"] = "DENY"
                elif path.startswith(("/v1/", "/cds-services")):
                    headers["cache-control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:  # the message may quote input: log the stack, not the message
            stack = "".join(traceback.format_tb(exc.__traceback__))
            log.error(
                "unhandled %s on %s %s (request %s)\n%s",
                type(exc).__name__,
                scope.get("method"),
                self._route_path(scope),
                request_id,
                stack,
            )
            if not response_started:
                await send_error(
                    send,
                    500,
                    "internal_error",
                    f"internal error; the server log has the details (request {request_id})",
                    request_id,
                )
            status = 500
        finally:
            elapsed = time.perf_counter() - started
            route = self._route_path(scope)
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            tenant = scope.get("state", {}).get("tenant", "-")
            log.info(
                "%s %s %d %.1fms tenant=%s request=%s",
                method,
                route,
                status,
                elapsed * 1000,
                tenant,
                request_id,
            )

    def _route_path(self, scope: Scope) -> str:
        """The route template (``/v1/codes/{code}``), never the raw path or query; also for
        requests refused before routing (the body guard)."""
        path = getattr(scope.get("route"), "path", None)
        if path:
            return str(path)
        for route in self.routes:
            match, _ = route.matches(scope)
            if match != Match.NONE:
                return str(getattr(route, "path", "unmatched"))
        return "unmatched"


class BodyGuardMiddleware:
    """Refuses bodies the routes cannot use, before any parsing: larger than the limit (413,
    from Content-Length or while reading), not JSON on a JSON route (415), not UTF-8 or
    holding NUL bytes (400). The body read here is replayed to the app."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, json_prefixes: Iterable[str]) -> None:
        self.app = app
        self.limit = max_body_bytes
        self.json_prefixes = tuple(json_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        rid = request_id_of(scope)
        headers = Headers(scope=scope)
        too_big = (
            f"request body is larger than {self.limit:,} bytes (SCRIBE_MAX_BODY_BYTES); send "
            "one encounter at a time"
        )
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await send_error(send, 413, "payload_too_large", too_big, rid)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await send_error(send, 413, "payload_too_large", too_big, rid)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        path: str = scope.get("path", "")
        if body and path.startswith(self.json_prefixes):
            problem = _json_body_problem(headers.get("content-type"), body)
            if problem is not None:
                status, type_, message_text = problem
                await send_error(send, status, type_, message_text, rid)
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _json_body_problem(content_type: str | None, body: bytes) -> tuple[int, str, str] | None:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        shown = media or "none"
        return (
            415,
            "unsupported_media_type",
            f"content-type is {shown}; send the body as JSON with 'content-type: application/json'",
        )
    if b"\x00" in body:
        return (
            400,
            "invalid_encoding",
            "request body contains NUL bytes: it looks like binary data or UTF-16; send UTF-8 JSON",
        )
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            400,
            "invalid_encoding",
            f"request body is not valid UTF-8 (byte 0x{body[exc.start]:02x} at position "
            f"{exc.start}); JSON must be UTF-8 encoded",
        )
    return None
