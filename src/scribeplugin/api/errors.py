"""One JSON error body for every failure: ``{"error": {"type", "message", ...}}``.

Routes raise :class:`ApiError` (or let a ``ScribeError`` through); the handlers here turn those,
FastAPI's validation errors and Starlette's HTTP errors into that body. Messages say what is
wrong and what to send instead, and never echo the input beyond a short excerpt of an id or a
field name (``text.excerpt``): a request body may hold PHI, and a 100 KB id must not come back
in a 100 KB error. A message is cut at MESSAGE_MAX characters whatever built it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from scribeplugin.api.text import excerpt
from scribeplugin.errors import (
    ConfigError,
    IndexNotReadyError,
    InputError,
    ScribeError,
    UnknownCodeError,
)

log = logging.getLogger(__name__)

MESSAGE_MAX = 1000

_TYPE_OF_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "timeout",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
    504: "timeout",
}


class FieldProblem(BaseModel):
    field: str = Field(description="where in the request, e.g. 'context.patient_age'")
    message: str


class ErrorDetail(BaseModel):
    type: str = Field(description="machine-readable: invalid_request, unknown_code, ...")
    message: str = Field(description="what is wrong and what to do instead")
    fields: list[FieldProblem] | None = Field(
        default=None, description="one entry per invalid field (validation errors)"
    )
    nearest: list[str] | None = Field(
        default=None, description="unknown_code: the nearest valid codes"
    )
    fix: str | None = Field(default=None, description="a command that fixes the problem")


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer has this shape."""

    error: ErrorDetail


class ApiError(Exception):
    """An HTTP error with a type and a message; raised in the API layer only."""

    def __init__(
        self,
        status_code: int,
        type_: str,
        message: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.type = type_
        self.message = message
        self.headers = headers
        self.extra = extra


def error_response(
    status_code: int,
    type_: str,
    message: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    detail = ErrorDetail(type=type_, message=excerpt(message, MESSAGE_MAX), **extra)
    return JSONResponse(
        status_code=status_code,
        content={"error": detail.model_dump(exclude_none=True)},
        headers=headers,
    )


# -- OpenAPI: the documented error answers -------------------------------------------------------

_EXAMPLES: dict[int, tuple[str, str, str]] = {
    400: (
        "malformed_json",
        "Malformed JSON",
        "request body is not valid JSON: Expecting ',' "
        "delimiter at line 1 column 27; send one JSON object",
    ),
    401: (
        "unauthorized",
        "No or bad API key",
        "missing API key: send 'Authorization: Bearer <key>'",
    ),
    403: (
        "forbidden",
        "Another tenant's request",
        "request 3f2a... belongs to another tenant; "
        "feedback can only be given on your own requests",
    ),
    404: (
        "unknown_code",
        "Unknown code",
        "'M54.99' is not an ICD-10-CM code in the code set in use. Nearest valid codes: M54.9.",
    ),
    413: (
        "payload_too_large",
        "Body too large",
        "request body is larger than 2,000,000 bytes "
        "(SCRIBE_MAX_BODY_BYTES); send one encounter at a time",
    ),
    415: (
        "unsupported_media_type",
        "Not JSON",
        "send the body as JSON with 'content-type: application/json'",
    ),
    422: (
        "invalid_request",
        "Invalid field",
        "transcript: Field required; foo: unknown field (allowed: transcript, context, drafter)",
    ),
    503: (
        "index_not_ready",
        "No index",
        "No spine index (scribe-spine-minilm-l6-v2-fy2026-c1) "
        "has been built. Run: scribeplugin index build --scope spine",
    ),
    504: (
        "timeout",
        "Too slow",
        "the suggestion took longer than 30 s (SCRIBE_REQUEST_TIMEOUT_S)"
        "; retry, or send a shorter transcript",
    ),
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the ErrorBody schema with an example for each status."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        type_, summary, message = _EXAMPLES[code]
        out[code] = {
            "model": ErrorBody,
            "description": summary,
            "content": {
                "application/json": {
                    "example": {"error": {"type": type_, "message": message}},
                }
            },
        }
    return out


# -- validation messages -----------------------------------------------------------------------


def _where(loc: Sequence[Any]) -> str:
    """``('body', 'context', 'patient_age')`` -> ``context.patient_age``; union member tags
    (``str``, ``list[Segment]``) and list indexes inside them are dropped."""
    parts: list[str] = []
    for p in loc:
        if p in {"body", "query", "path", "header"} and not parts:
            continue
        if isinstance(p, int):
            parts.append(f"[{p}]")
        elif isinstance(p, str) and len(p) > 40:  # a field name the caller made up
            parts.append(("." if parts else "") + excerpt(p))
        elif isinstance(p, str) and (
            p in {"str", "int", "float", "bool"} or "[" in p or p.startswith("function-")
        ):
            continue
        else:
            parts.append(("." if parts else "") + str(p))
    return "".join(parts) or "body"


def validation_problems(
    errors: Iterable[dict[str, Any]], allowed: dict[str, list[str]] | None = None
) -> list[FieldProblem]:
    """One problem per field; union alternatives are joined with 'or'; inputs never echoed."""
    by_field: dict[str, list[str]] = {}
    for err in errors:
        where = _where(err.get("loc", ()))
        kind = err.get("type", "")
        if kind == "extra_forbidden":
            parent = where.rsplit(".", 1)[0] if "." in where else ""
            names = (allowed or {}).get(parent)
            msg = "unknown field" + (f" (allowed: {', '.join(names)})" if names else "")
        elif kind == "missing" and where == "body":
            msg = "request body is empty; send a JSON object"
        else:
            msg = str(err.get("msg", "invalid value"))
        msgs = by_field.setdefault(where, [])
        if msg not in msgs:
            msgs.append(msg)
    return [FieldProblem(field=f, message=_join(m)) for f, m in by_field.items()]


def _join(messages: list[str]) -> str:
    """Union alternatives: 'Input should be a valid string or a valid list'."""
    lead = "Input should be "
    if len(messages) > 1 and all(m.startswith(lead) for m in messages):
        return lead + " or ".join(m.removeprefix(lead) for m in messages)
    return " or ".join(messages)


def _allowed_fields(request: Request) -> dict[str, list[str]]:
    """Field names of the route's body model and its nested models (for 'unknown field')."""
    route = request.scope.get("route")
    body = getattr(getattr(route, "body_field", None), "field_info", None)
    model = getattr(body, "annotation", None)
    out: dict[str, list[str]] = {}

    def walk(m: Any, prefix: str) -> None:
        if not (isinstance(m, type) and issubclass(m, BaseModel)):
            return
        out[prefix] = [f.alias or n for n, f in m.model_fields.items()]
        for n, f in m.model_fields.items():
            for arg in _model_args(f.annotation):
                walk(arg, f"{prefix}.{f.alias or n}" if prefix else (f.alias or n))

    walk(model, "")
    return out


def _model_args(annotation: Any) -> list[Any]:
    args = getattr(annotation, "__args__", None)
    if args is None:
        return [annotation]
    return [a for arg in args for a in _model_args(arg)]


# -- handlers -----------------------------------------------------------------------------------


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status_code, exc.type, exc.message, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        bad_json = [e for e in errors if e.get("type") == "json_invalid"]
        if bad_json:
            e = bad_json[0]
            pos = e.get("loc", ("body", "?"))[-1]
            reason = (e.get("ctx") or {}).get("error", "invalid JSON")
            return error_response(
                status.HTTP_400_BAD_REQUEST,
                "malformed_json",
                f"request body is not valid JSON: {reason} at character {pos}; send one JSON "
                "object",
            )
        problems = validation_problems(errors, _allowed_fields(request))
        message = "; ".join(f"{p.field}: {p.message}" for p in problems)
        if len(problems) == 1 and problems[0].field == "body":
            message = problems[0].message
        return error_response(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "invalid_request",
            message,
            fields=[p.model_dump() for p in problems],
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        type_ = _TYPE_OF_STATUS.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else type_.replace("_", " ")
        path = excerpt(request.url.path, 80)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {path}; see /docs or /openapi.json"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {path}"
        return error_response(exc.status_code, type_, message, getattr(exc, "headers", None))

    @app.exception_handler(UnknownCodeError)
    async def _unknown_code(request: Request, exc: UnknownCodeError) -> JSONResponse:
        return error_response(404, "unknown_code", str(exc), nearest=exc.suggestions)

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> JSONResponse:
        return error_response(422, "invalid_input", str(exc))

    @app.exception_handler(IndexNotReadyError)
    async def _index(request: Request, exc: IndexNotReadyError) -> JSONResponse:
        return error_response(503, "index_not_ready", str(exc))

    @app.exception_handler(ConfigError)
    async def _config(request: Request, exc: ConfigError) -> JSONResponse:
        return error_response(422, "not_configured", str(exc))

    @app.exception_handler(ScribeError)
    async def _scribe(request: Request, exc: ScribeError) -> JSONResponse:
        log.error("%s on %s %s", type(exc).__name__, request.method, _route(request))
        return error_response(503, "unavailable", str(exc))


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))
