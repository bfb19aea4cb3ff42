"""ASGI middleware: request context (id, metrics, one log line, headers) and the input guard.

Both are plain ASGI classes (no BaseHTTPMiddleware): they see every request, including those
refused before routing, and add nothing measurable to latency.
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid
from collections.abc import Iterable, Sequence
from urllib.parse import unquote_to_bytes

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scribeplugin.api.errors import ErrorDetail, FieldProblem
from scribeplugin.api.lane import Lane
from scribeplugin.api.metrics import Metrics
from scribeplugin.api.text import JSON_ESCAPE_OF_CONCERN, first_problem, text_problem

log = logging.getLogger("scribeplugin.api.access")

_UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_BODY_METHODS = {"POST", "PUT", "PATCH"}


async def send_error(
    send: Send,
    status: int,
    type_: str,
    message: str,
    request_id: str,
    fields: list[FieldProblem] | None = None,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    detail = ErrorDetail(type=type_, message=message, fields=fields)
    body = json.dumps({"error": detail.model_dump(exclude_none=True)}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()),
                *headers,
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
        requests refused before routing (the input guard)."""
        path = getattr(scope.get("route"), "path", None)
        if path:
            return str(path)
        for route in self.routes:
            match, _ = route.matches(scope)
            if match != Match.NONE:
                return str(getattr(route, "path", "unmatched"))
        return "unmatched"


class InputGuardMiddleware:
    """Refuses input the routes cannot use, before any parsing, hashing or storing:

    - a URL whose path or query is not UTF-8 or holds control characters (422, every route);
    - a body larger than the limit (413, from Content-Length or while reading), not read in
      full within ``body_timeout_s`` (408, and the connection is closed: a slow client must not
      hold a connection and a request slot), not JSON on a JSON route (415), not UTF-8 or
      holding NUL bytes (400), a JSON string that is not text (an unpaired surrogate or a
      control character other than tab, line break and form feed, escaped as ``\\u....``:
      422, naming the field).

    The body read here is replayed to the app. From then on (at once for a request without a
    body) the request counts as in flight for the ``lane``: long pipeline calls stand aside for
    it (not for a client still sending its body)."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        json_prefixes: Iterable[str],
        body_timeout_s: float = 30.0,
        lane: Lane | None = None,
    ) -> None:
        self.app = app
        self.limit = max_body_bytes
        self.json_prefixes = tuple(json_prefixes)
        self.body_timeout_s = body_timeout_s
        self.lane = lane

    async def _call_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.lane is None:
            await self.app(scope, receive, send)
            return
        self.lane.request_started()
        try:
            await self.app(scope, receive, send)
        finally:
            self.lane.request_ended()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_of(scope)
        bad_url = _url_problem(scope)
        if bad_url is not None:
            where, why = bad_url
            await send_error(
                send,
                422,
                "invalid_request",
                f"{where}: {why}",
                rid,
                fields=[FieldProblem(field=where, message=why)],
            )
            return
        if scope.get("method") not in _BODY_METHODS:
            await self._call_app(scope, receive, send)
            return
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
        try:
            with anyio.fail_after(self.body_timeout_s):
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
        except TimeoutError:
            await send_error(
                send,
                408,
                "timeout",
                f"the request body did not arrive within {self.body_timeout_s:g} s "
                "(SCRIBE_BODY_TIMEOUT_S); send the whole request at once",
                rid,
                headers=[(b"connection", b"close")],
            )
            return
        body = b"".join(chunks)
        path: str = scope.get("path", "")
        if body and path.startswith(self.json_prefixes):
            problem = _json_body_problem(headers.get("content-type"), body)
            if problem is not None:
                status, type_, message_text = problem
                await send_error(send, status, type_, message_text, rid)
                return
            not_text = _not_text(body)
            if not_text is not None:
                where, why = not_text
                await send_error(
                    send,
                    422,
                    "invalid_request",
                    f"{where}: {why}",
                    rid,
                    fields=[FieldProblem(field=where, message=why)],
                )
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self._call_app(scope, replay, send)


def _url_problem(scope: Scope) -> tuple[str, str] | None:
    """(``path`` or ``query``, reason) when the URL, percent-decoded, is not UTF-8 text."""
    raw_path = scope.get("raw_path") or str(scope.get("path", "")).encode("utf-8", "replace")
    for where, raw, single_line in (
        ("path", raw_path, True),
        ("query", bytes(scope.get("query_string", b"")).replace(b"+", b" "), False),
    ):
        if b"%" not in raw and raw.isascii() and not _ASCII_CONTROL.search(raw):
            continue
        decoded = unquote_to_bytes(raw)
        try:
            text = decoded.decode("utf-8")
        except UnicodeDecodeError as exc:
            return where, (
                f"once percent-decoded, is not UTF-8 (byte 0x{decoded[exc.start]:02x} at "
                f"position {exc.start}); percent-encode UTF-8 text"
            )
        problem = text_problem(text, single_line=single_line)
        if problem is not None:
            return where, f"once percent-decoded, {problem}"
    return None


_ASCII_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")


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


def _not_text(body: bytes) -> tuple[str, str] | None:
    """(field, reason) for the first JSON string that is not text; None when there is none or
    the body is not JSON (the route answers that). Only a body holding an escape that may
    decode to such a character is decoded here."""
    if JSON_ESCAPE_OF_CONCERN.search(body) is None:
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return first_problem(data)
