"""What the OpenAPI schema says a route can answer besides success, declared in one place.

Every error answers ``ErrorBody``; which statuses a route can give follows from what it is:
any route can refuse a malformed request (400) or be unable to answer now (503: a read model
lagging, the database unreachable); a route behind the token can also answer 401, 404 (an id
of nobody's or of another user's) and 422 (a rule of the model); a route that reads a body
can answer 413 (too large); a command can answer 409 (If-Match or a conflicting writer); a
route only admins may use (``opt={"admin_only": True}``) answers 403 to anyone else.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec

from domain.limits import INT64_MAX
from interfaces.http.bodies import ErrorBody

ERRORS = {
    400: "Malformed request or invalid input: `field` names the parameter or the body's path",
    401: "No valid bearer token",
    403: "Only an admin may do this (e.g. import the shared catalog, read-only to everyone else)",
    404: "Not found (another user's ids answer exactly like nonexistent ones)",
    409: "Conflict: If-Match names an older version (`currentVersion` is the current one), or a clash",
    413: "Request body too large",
    422: "A rule of the model refuses the request: `field` names what to change",
    503: "Not available now (a read model lagging behind `minPosition`, the database unreachable): retry",
}
READS = frozenset({"GET", "HEAD"})


def error_statuses(handler: HTTPRouteHandler) -> list[int]:
    if handler.opt.get("exclude_from_auth"):
        return []
    statuses = [400, 401, 404, 422, 503]
    if handler.parsed_data_field is not None:
        statuses.append(413)
    if not handler.http_methods <= READS:
        statuses.append(409)
    if handler.opt.get("admin_only"):
        statuses.append(403)
    return sorted(statuses)


def document_errors(controllers: list[type[Controller]]) -> list[type[Controller]]:
    """``controllers`` with their handlers' error answers declared (a handler's own ``responses``
    win); the handlers are the controllers' class attributes, so this is done once per class."""
    for controller in controllers:
        inherited = (value for klass in controller.__mro__ for value in vars(klass).values())
        for handler in {value for value in inherited if isinstance(value, HTTPRouteHandler)}:
            specs = {
                status: ResponseSpec(data_container=ErrorBody, description=ERRORS[status], generate_examples=False)
                for status in error_statuses(handler)
            }
            handler.responses = {**specs, **(handler.responses or {})}
    return controllers


def publish_exact_bounds(app: Litestar) -> None:
    """The schema, built on its first request, published with two corrections of Litestar's
    rendering: numeric bounds are written as floats, and 2**63 - 1 as a float is 2**63 (a
    client, or a fuzzer, would read that one past the largest id is valid), so every whole
    bound is an exact integer clamped to the 64-bit range it stands for; and the items of an
    ``Annotated[tuple[X, ...], Meta(...)]`` come out as ``oneOf: [X, {}]``, which no value can
    satisfy (it matches both), so they are ``X``."""
    app.plugins.get(OpenAPIPlugin).__class__ = _CorrectedOpenAPI


class _CorrectedOpenAPI(OpenAPIPlugin):
    __slots__ = ()

    def provide_openapi_schema(self) -> dict[str, Any]:
        if not self._openapi_schema:
            self._openapi_schema = _queries_only_read(_corrected(super().provide_openapi_schema()))
        return self._openapi_schema


def _queries_only_read(schema: dict[str, Any]) -> dict[str, Any]:
    """Every route takes the read ``consistency`` (declared once, on the app), but only queries
    read it, so only they show it."""
    for path in schema.get("paths", {}).values():
        for method, operation in path.items():
            if method != "get" and isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [p for p in operation["parameters"] if p.get("name") != "consistency"]
    return schema


def _corrected(node: Any) -> Any:
    if isinstance(node, list):
        return [_corrected(child) for child in node]
    if not isinstance(node, dict):
        return node
    fixed = {key: _corrected(value) for key, value in node.items()}
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        value = fixed.get(key)
        if isinstance(value, float) and value.is_integer():
            fixed[key] = max(-INT64_MAX - 1, min(INT64_MAX, int(value)))
    alternatives = fixed.get("oneOf")
    if isinstance(alternatives, list) and len(alternatives) == 2 and {} in alternatives:
        del fixed["oneOf"]
        fixed.update(next(alternative for alternative in alternatives if alternative != {}))
    return fixed
