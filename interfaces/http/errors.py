"""Every error answers JSON ``{error, detail, field}`` with the status that fits it.

A domain error names its field by its Python path (``steps[2].me_level``); the answer names it
as the client sent it: a query parameter of the route as the route declares it (``region_id``,
or its ``name=``), a header by ``WIRE_NAMES``, and otherwise each name in the path as msgspec's
``rename="camel"`` spells a body's fields (``steps[2].meLevel``). The console's refusals
(``interfaces/web/acting.py``) name their fields the same way, by their page's query names.
"""

from __future__ import annotations

import functools
import logging
import re
import sqlite3
from collections.abc import Mapping
from typing import Any

import msgspec
import psycopg
import sqlalchemy.exc
from eventsourcing.persistence import ConnectionUnavailableError, PersistenceError
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from application.eve.sso import SsoUnavailable
from domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, RuleViolation
from domain.industry.characters import SKILL_IDS
from interfaces.http.bodies import ErrorBody
from projections.runtime import ProjectionError

log = logging.getLogger(__name__)

DOMAIN_STATUS: dict[type[DomainError], int] = {
    InvalidInput: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    RuleViolation: 422,
}
_FIELD_IN_MESSAGE = re.compile(r"field `([^`]+)`")
# A domain error's field (a Python path) whose answer does not name it in camelCase: the one table.
WIRE_NAMES: dict[str, str] = {
    "expected_version": "If-Match",  # a command's expected version comes in that header
    # A named skill's level out of range has always been answered with its Python name (the
    # body's field is ``skills.massProduction``): kept as answered; drop to answer it so.
    **{f"skills.{name}": f"skills.{name}" for name in SKILL_IDS},
}
_NAME_IN_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# How long a client is asked to wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER_SEC = 5
_UNREACHABLE_ERRORS = (
    psycopg.OperationalError,  # refused, terminated, not accepting connections, too many clients
    psycopg.InterfaceError,  # the connection is closed
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
    sqlalchemy.exc.DisconnectionError,
    ConnectionUnavailableError,
)
_SQLITE_UNREACHABLE = ("unable to open database", "database is locked", "disk i/o error", "readonly database")


class ProjectionLagging(HTTPException):
    """A read model did not reach what the query must see in time (the client may retry);
    ``field`` names what asked for it: ``minPosition`` or the default ``consistency``."""

    status_code = 503

    def __init__(self, detail: str, field: str = "minPosition") -> None:
        super().__init__(detail=detail)
        self.field = field


def _error(status: int, error: str, detail: str, field: str | None = None, **extra: Any) -> Response[ErrorBody]:
    return Response(ErrorBody(error=error, detail=detail, field=field, **extra), status_code=status)


def wire_field(field: str | None, parameters: Mapping[str, str] | None = None) -> str | None:
    """A domain error's field as the client named it: one of ``parameters`` (a Python name ->
    the name the client sends it by) as it is sent, an entry of ``WIRE_NAMES``, else camelCase
    (``transport.cost_per_m3`` -> ``transport.costPerM3``, ``steps[2].me_level`` ->
    ``steps[2].meLevel``: indexes and dots kept)."""
    if field is None or field in WIRE_NAMES:
        return WIRE_NAMES.get(field or "", field)
    first = _NAME_IN_PATH.match(field)
    if first is not None and parameters and first.group() in parameters:
        return parameters[first.group()] + _camel_path(field[first.end() :])
    return _camel_path(field)


def _camel_path(path: str) -> str:
    return _NAME_IN_PATH.sub(lambda name: _camel(name.group()), path)


@functools.cache
def _camel(name: str) -> str:
    """``name`` as msgspec's ``rename="camel"`` spells a field, so it is always the body's."""
    named = msgspec.defstruct("Named", [(name, object)], rename="camel")
    return named.__struct_encode_fields__[0]


def domain_status(exc: DomainError) -> int:
    return next(code for kind, code in DOMAIN_STATUS.items() if isinstance(exc, kind))


def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[ErrorBody]:
    current = exc.current_version if isinstance(exc, Conflict) else None
    field = wire_field(exc.field, _query_names(request))
    return _error(domain_status(exc), exc.code, exc.detail, field, current_version=current)


def _query_names(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The route's query parameters (and any other it reads from the request but the path and
    body), each a Python name -> the name the client sends it by."""
    handler = request.route_handler
    skipped = {*handler.resolve_dependencies(), *request.path_params, "data", "request"}
    return {
        name: getattr(parameter.kwarg_definition, "name", None) or name
        for name, parameter in handler.parsed_fn_signature.parameters.items()
        if name not in skipped
    }


def validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[ErrorBody]:
    """Body and parameter validation, reduced to the first problem and its field: a body's
    path (``items[3].name``), or a parameter's name as the client sends it (``characterId``)."""
    problems = exc.extra if isinstance(exc.extra, list) else []
    if not problems:
        return _error(400, "malformed_request", str(exc.detail))
    first = problems[0]
    message = str(first.get("message", exc.detail))
    field = first.get("key")
    if field in (None, "data"):
        named = _FIELD_IN_MESSAGE.search(message)
        field = named.group(1) if named else None
    return _error(400, "invalid_input", message, _parameter_name(request, field))


def _parameter_name(request: Request[Any, Any, Any], field: str | None) -> str | None:
    parameter = request.route_handler.parsed_fn_signature.parameters.get(field or "")
    alias = getattr(parameter.kwarg_definition, "name", None) if parameter else None
    return alias or field


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    if isinstance(exc, NotAuthorizedException):
        response = _error(401, "unauthorized", exc.detail, "Authorization")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    names = {
        400: "malformed_request",
        404: "not_found",
        405: "method_not_allowed",
        413: "request_too_large",
        503: "projection_lagging",
    }
    field = exc.field if isinstance(exc, ProjectionLagging) else None
    response = _error(exc.status_code, names.get(exc.status_code, "http_error"), exc.detail, field)
    response.headers.update(exc.headers or {})  # a 405's Allow
    return response


def sso_unavailable(_: Request[Any, Any, Any], exc: SsoUnavailable) -> Response[ErrorBody]:
    """EVE's SSO unreachable, failing, or refusing our client (its configuration)."""
    response = _error(503, "sso_unavailable", str(exc))
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SEC)
    return response


def projection_error(_: Request[Any, Any, Any], exc: ProjectionError) -> Response[ErrorBody]:
    return _error(409, "projection_error", str(exc))


def database_unreachable(error: BaseException | None) -> bool:
    """Whether a storage error (or the driver error it wraps) means the database cannot be
    reached or used just now, as opposed to a bug in a statement."""
    while error is not None:
        if isinstance(error, _UNREACHABLE_ERRORS):
            return True
        if isinstance(error, sqlite3.OperationalError) and any(m in str(error).lower() for m in _SQLITE_UNREACHABLE):
            return True
        error = getattr(error, "orig", None) or error.__cause__
    return False


def storage_error(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    """An unreachable database is the client's to retry (503 with Retry-After); anything else
    from storage is our bug (500)."""
    if not database_unreachable(exc):
        return internal_error(request, exc)
    log.warning("database unreachable on %s %s: %s", request.method, request.url.path, exc)
    response = _error(503, "database_unavailable", "the database cannot be reached just now; retry shortly")
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SEC)
    return response


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error(HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "the server failed to handle this request")


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: domain_error,
    ValidationException: validation_error,
    ProjectionError: projection_error,
    SsoUnavailable: sso_unavailable,
    sqlalchemy.exc.SQLAlchemyError: storage_error,
    PersistenceError: storage_error,
    sqlite3.Error: storage_error,
    psycopg.Error: storage_error,
    HTTPException: http_error,
    Exception: internal_error,
}
