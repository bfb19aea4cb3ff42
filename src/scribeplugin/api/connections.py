"""Connection limits the server enforces itself: slow or oversized request heads are cut off.

uvicorn times out an idle keep-alive connection (``SCRIBE_KEEP_ALIVE_TIMEOUT_S``) and caps the
connections of a worker (``SCRIBE_MAX_CONNECTIONS``, beyond which it answers 503), but a client
that opens a connection and sends part of a request head, or sends it a byte at a time, is never
timed out: each such connection stays open for good and counts against the cap. So the HTTP
protocol here (uvicorn's httptools protocol plus two checks) gives every request head
``SCRIBE_HEADER_TIMEOUT_S`` from the connection's opening or the request's first byte, and at
most ``SCRIBE_MAX_HEADER_BYTES``; past either it answers 408 or 431 and closes the connection.
A response sent before the request's body arrived in full (a refusal) closes the connection too,
so a client cannot hold it by dripping a body nobody reads. The body's own deadline
(``SCRIBE_BODY_TIMEOUT_S``) is the input guard's (``middleware``), which answers 408.

Behind a reverse proxy these are a second line: see the README for the proxy's settings.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from scribeplugin.config import Settings, get_settings


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    header_timeout_s: float
    max_header_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        return cls(settings.header_timeout_s, settings.max_header_bytes)


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline and a size limit on request heads."""

    # None: read from the environment's settings (``--workers N`` imports this class by name).
    limits: ClassVar[ConnectionLimits | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = type(self).limits or ConnectionLimits.from_settings(get_settings())
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._in_head = True

    @classmethod
    def for_settings(cls, settings: Settings) -> type[GuardedHttpProtocol]:
        """This protocol with the limits of ``settings`` (one server, one process)."""
        limits = ConnectionLimits.from_settings(settings)
        return type(cls.__name__, (cls,), {"limits": limits})

    # -- protocol events ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Still in the head after this chunk: all of it was head (a body starts after it).
        if self._in_head and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > self._limits.max_header_bytes:
                self._refuse(
                    431,
                    "request_header_fields_too_large",
                    f"the request head is larger than {self._limits.max_header_bytes:,} bytes "
                    "(SCRIBE_MAX_HEADER_BYTES)",
                )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        self._arm_head_timer()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        cycle = self.cycle
        if cycle is not None and cycle.more_body and not self.transport.is_closing():
            self.transport.close()  # answered before its body arrived: nobody will read it
            return
        self._in_head = True

    # -- the head deadline ----------------------------------------------------------------------

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self._limits.header_timeout_s, self._head_late)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            self._refuse(
                408,
                "timeout",
                f"the request head did not arrive within {self._limits.header_timeout_s:g} s "
                "(SCRIBE_HEADER_TIMEOUT_S)",
            )

    def _refuse(self, status: int, type_: str, message: str) -> None:
        """Answer ``status`` with the API's error body and close the connection."""
        self._cancel_head_timer()
        if self.transport.is_closing():
            return
        body = json.dumps({"error": {"type": type_, "message": message}}).encode()
        reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n" % (status, reason, len(body)) + body
        )
        self.transport.close()
