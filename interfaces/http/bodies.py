"""Request bodies decoded strictly, straight into the handler's body type.

Litestar decodes a body to plain JSON values and then converts them leniently, as it must for
query strings: ``"7"`` would become 7 for an integer field. Here the body's bytes are decoded
once, strictly, into the declared Struct (whose ``Meta`` limits are checked on the way), and
the Struct passes through Litestar's conversion untouched. A JSON document nested deeper than
the decoder's recursion allows is a 400 like any other malformed body.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ClientException, ValidationException
from litestar.types import Empty

_PATH = re.compile(r"^(?P<message>.*) - at `\$\.?(?P<path>[^`]*)`$", re.DOTALL)


class MalformedBody(ClientException):
    """The body is not JSON, or not JSON this server can read (nested too deeply)."""

    status_code = 400


def body_error(error: msgspec.ValidationError) -> ValidationException:
    """msgspec's ``Expected `int`, got `str` - at `$.items[3].typeId``` as a 400 naming ``items[3].typeId``."""
    found = _PATH.match(str(error))
    message, path = (found.group("message"), found.group("path")) if found else (str(error), "")
    return ValidationException(detail=message, extra=[{"message": message, "key": path or None, "source": "body"}])


class StrictRequest(Request[Any, Any, Any]):
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
