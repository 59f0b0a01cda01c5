"""The shape of bodies: request bodies decoded strictly, straight into the handler's body type,
and the base Structs of every request, response and error body.

Litestar decodes a body to plain JSON values and then converts them leniently, as it must for
query strings: ``"7"`` would become 7 for an integer field. Here the body's bytes are decoded
once, strictly, into the declared Struct (whose ``Meta`` limits are checked on the way), and
the Struct passes through Litestar's conversion untouched. A JSON document nested deeper than
the decoder's recursion allows is a 400 like any other malformed body.
"""

from __future__ import annotations

import re
from typing import Any, TypedDict
from uuid import UUID

import litestar
import msgspec
from litestar.exceptions import ClientException, ValidationException
from litestar.types import Empty

from application.command_runner import CommandResult

_PATH = re.compile(r"^(?P<message>.*) - at `\$\.?(?P<path>[^`]*)`$", re.DOTALL)


class MalformedBody(ClientException):
    """The body is not JSON, or not JSON this server can read (nested too deeply)."""

    status_code = 400


def body_error(error: msgspec.ValidationError) -> ValidationException:
    """msgspec's ``Expected `int`, got `str` - at `$.items[3].typeId``` as a 400 naming ``items[3].typeId``."""
    found = _PATH.match(str(error))
    message, path = (found.group("message"), found.group("path")) if found else (str(error), "")
    return ValidationException(detail=message, extra=[{"message": message, "key": path or None, "source": "body"}])


class StrictRequest(litestar.Request[Any, Any, Any]):
    async def json(self) -> Any:
        if self._json is not Empty:
            return self._json
        data_field = self.route_handler.parsed_data_field
        body = await self.body()
        target = data_field.annotation if data_field is not None else Any
        try:
            self._json = msgspec.json.decode(body or b"null", type=target, strict=True)
        except msgspec.ValidationError as error:
            raise body_error(error) from None
        except msgspec.DecodeError as error:
            raise MalformedBody(f"the body is not valid JSON: {error}") from None
        except RecursionError:
            raise MalformedBody("the body's JSON is nested too deeply") from None
        return self._json


class Request(msgspec.Struct, forbid_unknown_fields=True, rename="camel", kw_only=True):
    """A request body: camelCase names; unknown fields are refused, so a typo is a 400 instead
    of a silent no-op."""


class Response(msgspec.Struct, rename="camel", kw_only=True):
    """A response body: camelCase names."""


class ErrorBody(Response, omit_defaults=True):
    """``field`` is always present (null when no single field is at fault)."""

    error: str
    detail: str
    field: str | None
    current_version: int | None = None


class CommandAccepted(Response):
    """Every command answer carries the log position of its last event (for minPosition)."""

    aggregate_id: UUID
    version: int
    position: int
    changed: bool


class AcceptedFields(TypedDict):
    aggregate_id: UUID
    version: int
    position: int
    changed: bool


def accepted(result: CommandResult[Any]) -> AcceptedFields:
    """The ``CommandAccepted`` fields of a command's result, for the answers that extend it."""
    return {
        "aggregate_id": result.aggregate.id,
        "version": result.aggregate.version,
        "position": result.position,
        "changed": result.changed,
    }
