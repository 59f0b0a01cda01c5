"""How a console form acts: the same application services as the API's command routes, with
the signed-in user as the actor, and a refused command turned into words for the page.

A refusal names the domain error's field as the API's JSON ``field`` does, so the page can show
the ``detail`` next to the input of that name, and its HTTP status (``DOMAIN_STATUS``), so a
browser or a test sees a 409 as the API would answer it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import anyio.to_thread
import msgspec

from domain.errors import DomainError
from domain.events import CommandMeta
from interfaces.http.errors import domain_status, wire_field
from projections.users import TokenHolder

T = TypeVar("T")
_FIELD_AT = re.compile(r"`\$\.([^`]+)`|field `([^`]+)`")


class Refusal(msgspec.Struct, frozen=True, kw_only=True):
    """A command the services refused: what to say, next to which field, with which status."""

    detail: str
    field: str | None = None
    status: int = 400


def acting_as(holder: TokenHolder) -> CommandMeta:
    """The signed-in user acts; each form submission is one command with its own correlation."""
    return CommandMeta(user_id=holder.user_id, correlation_id=str(uuid.uuid4()), command_id=str(uuid.uuid4()))


def refusal_of(error: DomainError, query: Iterable[str] = ()) -> Refusal:
    """The refusal of ``error``, its field named as the API names it, or as the page's ``query``
    inputs (the API's query parameters, by their Python names) are named."""
    field = wire_field(error.field, {name: name for name in query})
    return Refusal(detail=_sentence(error.detail), field=field, status=domain_status(error))


def api_body(values: Mapping[str, Any], body: type[T]) -> T | Refusal:
    """The API's own request body from a form's values, with the API's constraints (not
    strict: a form's ``"3"`` is the 3 the JSON would carry). A value the body refuses names its
    field as the API's error does (``desiredQuantity``, ``steps[0].meLevel``), and so does a
    rule the body checks as it is built (a facility's rigs without a structure)."""
    try:
        return msgspec.convert(values, body, strict=False)
    except msgspec.ValidationError as error:
        message = str(error)
        named = _FIELD_AT.search(message)
        field = (named.group(1) or named.group(2)) if named else None
        detail = message.split(" - at ", 1)[0]
        return Refusal(detail=detail[:1].upper() + detail[1:] + ".", field=field, status=400)
    except DomainError as error:
        return refusal_of(error)


async def carried_out(command: Callable[[], T]) -> T | Refusal:
    """Runs a service's command off the event loop (they are synchronous, as the API's
    ``sync_to_thread`` routes run them); a domain error comes back as a ``Refusal``."""
    try:
        return await anyio.to_thread.run_sync(command)
    except DomainError as error:
        return refusal_of(error)


def _sentence(detail: str) -> str:
    """The API's ``detail`` as a sentence; one opening with a field's name (``desiredQuantity
    must be …``) keeps the name as the input is called."""
    first = detail.split(" ", 1)[0]
    opening = first if any(letter.isupper() for letter in first[1:]) else first[:1].upper() + first[1:]
    return opening + detail[len(first) :] + ("" if detail.endswith(".") else ".")
