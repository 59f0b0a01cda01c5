"""The catalog page: the versions of the catalog the user follows (their private one, or the
shared one), and a form importing a catalog file in Manufactory's JSON format, yours or (for
an admin) the shared one, with its progress shown while it runs.

An import is the one the CLI and ``POST /v1/catalog/imports`` (``.../shared/imports``) make:
the file read by ``read_catalog`` (the CLI's reader, its bytes read reported as the CLI's bar
shows them), recorded by ``CatalogService.import_catalog`` (``import_shared``), then the
catalog read model caught up, as ``manufactory catalog import`` does. The upload is bounded
as the API's body is (the app's ``request_max_body_size``, streamed to a spooled file, never
held whole in memory) and each list in it by the catalog format's limits.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.response import Template

from application.catalog import ImportResult
from application.catalog_sources import read_catalog
from application.system import Manufactory
from domain.events import CommandMeta
from interfaces.http.context import query_projection
from interfaces.web.acting import Refusal, acting_as, carried_out
from interfaces.web.operations import Following, Operation, Work, following, started
from interfaces.web.pages import ConsoleController, form_page, page
from interfaces.web.session import csrf_checked
from projections.catalog import catalog_source, catalog_versions
from projections.users import TokenHolder

PROJECTION = "catalog"
FILE = "file"  # the form's file input: where a refusal of the import shows
SHOWN_VERSIONS = 50  # the newest versions listed; older ones stay reachable by the API's paging


async def catalog_page(
    request: Request[Any, Any, Any],
    system: Manufactory,
    holder: TokenHolder,
    refused: Refusal | None = None,
    operation: Operation | None = None,
) -> Template:
    """The followed catalog's versions, newest first, and the import form (with the
    operation it started, if any)."""
    source = await query_projection(system, PROJECTION, None, catalog_source, holder.user_id)
    versions = await query_projection(
        system, PROJECTION, None, catalog_versions, holder.user_id, SHOWN_VERSIONS, 0, newest_first=True
    )
    context = {
        "holder": holder,
        "shared": source.shared,
        "versions": versions,
        "shown": SHOWN_VERSIONS,
        "operation": operation,
        "limit": request.route_handler.resolve_request_max_body_size(),
        "values": {},
    }
    return form_page(request, "catalog.html", context, refused)


def too_large(request: Request[Any, Any, Any], _: RequestEntityTooLarge) -> Response[Any]:
    """A file past the body limit: the page says so in words (413), as the API refuses such a body."""
    limit = request.route_handler.resolve_request_max_body_size() or 0
    detail = f"The file is larger than the {limit:,} bytes a request may carry: import it with the CLI."
    return page(request, "refused.html", {"detail": detail}, status_code=413)


class CatalogPages(ConsoleController):
    exception_handlers = {**ConsoleController.exception_handlers, RequestEntityTooLarge: too_large}

    @get("/catalog")
    async def catalog(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        operation: Following = None,
    ) -> Template:
        """The catalog; ``?operation=`` an import this user started, where it stands."""
        return await catalog_page(request, system, holder, operation=following(request, holder, operation))

    @post("/catalog/imports", guards=[csrf_checked], status_code=303)
    async def import_catalog(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
    ) -> Response[Any]:
        """Starts the import and answers at once: the catalog page follows its progress."""
        form = await request.form()
        upload, shared = form.get(FILE), form.get("shared") == "on"
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await catalog_page(request, system, holder, Refusal(detail="Choose a catalog file.", field=FILE))
        name = Path(upload.filename).name
        if not name.lower().endswith(".json"):
            detail = (
                "Choose a catalog in Manufactory's JSON format (a .json file); "
                "import an SDE or CSV dump folder with `manufactory catalog import`."
            )
            return await catalog_page(request, system, holder, Refusal(detail=detail, field=FILE))
        if shared:  # before reading the file, as the CLI checks
            refused = await carried_out(lambda: system.catalogs.ensure_may_import_shared(holder.user_id))
            if isinstance(refused, Refusal):
                return await catalog_page(request, system, holder, refused)
        path = Path(tempfile.mkdtemp(prefix="manufactory-import-")) / name
        await anyio.to_thread.run_sync(_saved, upload.file, path)
        title = f"Importing {name} as {'the shared catalog' if shared else 'your catalog'}"
        operation = Operation(holder.user_id, title, field=FILE)
        return started(request, operation, _import(system, path, shared, acting_as(holder)), "/catalog")


def _saved(upload: IO[bytes], path: Path) -> None:
    """The upload (a spooled file) copied to ``path`` in chunks, for the reader to open."""
    upload.seek(0)
    with path.open("wb") as out:
        shutil.copyfileobj(upload, out)


def _import(system: Manufactory, path: Path, shared: bool, meta: CommandMeta) -> Work:
    """The import's steps, as ``manufactory catalog import`` takes them, each reported."""

    def work(operation: Operation) -> str:
        try:
            data = read_catalog(path, operation.progress("reading the file"))
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)
        operation.report(f"recording {len(data.items):,} items and {len(data.recipes):,} recipes")
        record = system.catalogs.import_shared if shared else system.catalogs.import_catalog
        result = record(data, f"console {path.name}", meta)
        operation.report("updating the catalog read model")
        system.projections.catch_up(PROJECTION)
        return _outcome(result, shared)

    return work


def _outcome(result: ImportResult, shared: bool) -> str:
    whose = "The shared catalog" if shared else "Your catalog"
    summary = result.summary
    if summary is None:
        return f"{whose} is unchanged: this data is already its current version."
    return (
        f"{whose} is now version {summary.catalog_version}: items +{summary.items_added} "
        f"~{summary.items_changed} -{summary.items_removed}, recipes +{summary.recipes_added} "
        f"~{summary.recipes_changed} -{summary.recipes_removed}."
    )
