"""The API reference at ``/schema``: Scalar's standalone bundle served from the package, a
pinned version (``interfaces/web/static/vendor``), not a CDN's ``@latest``.

The page holds no inline script or style, so the Content-Security-Policy of every HTML page
(``interfaces.http.security_headers``) needs no exception for it beyond the styles Scalar's
bundle inserts at run time. Scalar's default fonts come from fonts.scalar.com: turned off, the
page uses the system's.
"""

from __future__ import annotations

from html import escape
from typing import Any

import msgspec
from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

from interfaces.web import STATIC_PATH

SCALAR = f"{STATIC_PATH}/vendor/scalar-api-reference-1.76.0/standalone.js"
CONFIGURATION = {"withDefaultFonts": False, "hideClientButton": True}


class ShippedScalar(OpenAPIRenderPlugin):
    """Scalar from the package; its configuration in a data attribute, not an inline script."""

    def __init__(self) -> None:
        super().__init__(path="/scalar")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema["info"]["title"]))
        schema_url = escape(self.get_openapi_json_route(request))
        configuration = escape(msgspec.json.encode(CONFIGURATION).decode())
        return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{title}</title>
    <link rel="icon" href="{STATIC_PATH}/favicon.svg" type="image/svg+xml">
    <link rel="stylesheet" href="{STATIC_PATH}/docs.css">
  </head>
  <body>
    <noscript>The API reference needs JavaScript; the schema itself is at {schema_url}.</noscript>
    <script id="api-reference" data-url="{schema_url}" data-configuration="{configuration}"></script>
    <script src="{SCALAR}"></script>
  </body>
</html>
""".encode()
