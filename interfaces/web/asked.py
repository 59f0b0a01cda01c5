"""A page's query parameters read as the API reads the same parameters: from the API's own
``Annotated[..., QueryParameter(ge=..., le=...)]`` types, with the same conversion (msgspec, not
strict) and so the same message for a bad value. A page can then show what the API would have
answered next to the input of that name, and still render the rest of the page around it (an
exception handler could not: Litestar calls them synchronously, with no way to read the page's
other data). Blank inputs (a GET form sends every field) count as not given."""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from types import NoneType, UnionType
from typing import Annotated, Any

import msgspec
from litestar import Request

from interfaces.web.acting import Refusal

_CONSTRAINTS = ("gt", "ge", "lt", "le", "min_length", "max_length", "pattern")
_AT_FIELD = re.compile(r" - at `\$\.([A-Za-z_]+)`$")


def _checked_type(annotated: Any) -> Any:
    """``Annotated[T | None, QueryParameter(ge=1)]`` -> ``Annotated[T, Meta(ge=1)] | None``:
    the constraints on the value itself, as Litestar applies them."""
    kind, *extras = typing.get_args(annotated) if typing.get_origin(annotated) is Annotated else (annotated,)
    constraints = {
        name: value for extra in extras for name in _CONSTRAINTS if (value := getattr(extra, name, None)) is not None
    }
    if not constraints:
        return kind
    members = typing.get_args(kind) if isinstance(kind, UnionType) else (kind,)
    value = next(member for member in members if member is not NoneType)  # the API's are one type or None
    checked: Any = Annotated[value, msgspec.Meta(**constraints)]
    return checked | None if NoneType in members else checked


class QueryReader:
    """Reads the named parameters, each ``(the API's Annotated type, default)``."""

    def __init__(self, **parameters: tuple[Any, Any]) -> None:
        fields = [(name, _checked_type(kind), default) for name, (kind, default) in parameters.items()]
        self._struct: type[msgspec.Struct] = msgspec.defstruct("Query", fields, kw_only=True)
        self.names = tuple(parameters)

    def read(self, request: Request[Any, Any, Any]) -> tuple[dict[str, str], dict[str, Any] | Refusal]:
        """The inputs as sent (to fill the form again) and their values, or the refusal of the
        first bad one, in the API's words and naming its parameter."""
        sent = {name: value.strip() for name in self.names if isinstance(value := request.query_params.get(name), str)}
        given: Mapping[str, str] = {name: value for name, value in sent.items() if value}
        try:
            values = msgspec.structs.asdict(msgspec.convert(given, self._struct, strict=False))
        except msgspec.ValidationError as error:
            message = str(error)
            named = _AT_FIELD.search(message)
            detail = message[: named.start()] if named else message
            return sent, Refusal(detail=detail, field=named.group(1) if named else None, status=400)
        return sent, values
