"""Catalog readers: turn a catalog source, as players download it, into a ``CatalogData``.

The source is recognised by what the path holds, so the CLI needs no format option: our own
``.json`` catalog, the EVE SDE in YAML or JSON lines, or the common CSV dump.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec

from application.catalog_sources import csv_dump, sde_jsonl, sde_yaml
from application.catalog_sources.assemble import ProgressCallback, malformed
from domain.catalog.model import CatalogData, CatalogFile
from domain.errors import InvalidInput

__all__ = ["ProgressCallback", "read_catalog"]

_CATALOG_FORMAT = CatalogFile().format

_Locate = Callable[[Path], Path | None]
_Read = Callable[[Path, ProgressCallback | None], CatalogData]
_DIRECTORY_SOURCES: tuple[tuple[_Locate, _Read], ...] = (
    (sde_yaml.locate, sde_yaml.read),
    (sde_jsonl.locate, sde_jsonl.read),
    (csv_dump.locate, csv_dump.read),
)


def read_catalog(path: Path, progress: ProgressCallback | None = None) -> CatalogData:
    """Read whatever catalog ``path`` holds; ``progress(done, total)`` follows the bytes read."""
    if path.is_file() and path.suffix.lower() == ".json":
        return _read_catalog_file(path, progress)
    if path.is_dir():
        for locate, read in _DIRECTORY_SOURCES:
            folder = locate(path)
            if folder is not None:
                return _within_limits(folder, read(folder, progress))
    raise InvalidInput(
        f"{path}: no catalog found (expected a .json catalog, or a folder with the EVE SDE "
        f"{sde_yaml.BLUEPRINTS} or {sde_jsonl.BLUEPRINTS}, or the CSV dump's {csv_dump.KEY_FILE})",
        field="path",
    )


def _within_limits(folder: Path, data: CatalogData) -> CatalogData:
    """The SDE and CSV readers build the catalog field by field, past the limits that decoding
    checks (a name longer than its column, an id beyond int64): one conversion applies them, so
    such a record is refused here, naming it, instead of reaching the event store."""
    try:
        return msgspec.convert(msgspec.to_builtins(data), CatalogData)
    except msgspec.ValidationError as error:
        raise malformed(folder.name, "content", error) from error


def _read_catalog_file(path: Path, progress: ProgressCallback | None) -> CatalogData:
    content = path.read_bytes()
    try:
        catalog = msgspec.json.decode(content, type=CatalogFile)
    except msgspec.DecodeError as error:
        raise malformed(path.name, "content", error) from error
    if catalog.format != _CATALOG_FORMAT:
        raise malformed(path.name, "format", f"expected {_CATALOG_FORMAT!r}, got {catalog.format!r}")
    if progress is not None:
        progress(len(content), len(content))
    return catalog.data()
