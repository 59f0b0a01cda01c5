"""The SDE's YAML edition: ``blueprints.yaml`` with ``typeIDs.yaml`` or ``types.yaml`` & co.

Files are mappings of id -> record (see ``sde_records`` for the fields and where they were
verified). The classic SDE zip keeps them under ``sde/fsd/`` (``typeIDs.yaml``, ``groupIDs.yaml``,
``categoryIDs.yaml``; e.g. xiboliyadongtu/eve-blueprint-data ``fsd/blueprints.yaml``); CCP's
newer export puts ``types.yaml``, ``groups.yaml``, ``categories.yaml`` beside ``blueprints.yaml``
(same datasets as the JSON lines, per esi/esi-docs ``docs/services/static-data/index.md``).
Each file is parsed whole (YAML has no record boundaries), with the C loader when available.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec
import yaml

from application.catalog_sources.assemble import ByteProgress, ProgressCallback, ReportingReader, malformed
from application.catalog_sources.sde_records import R, SdeFiles, read_sde
from domain.catalog.model import CatalogData
from domain.errors import InvalidInput

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the pure-Python one if built without libyaml

BLUEPRINTS = "blueprints.yaml"
_TYPES = ("types.yaml", "typeIDs.yaml")
_GROUPS = ("groups.yaml", "groupIDs.yaml")
_CATEGORIES = ("categories.yaml", "categoryIDs.yaml")


def locate(path: Path) -> Path | None:
    """The folder holding ``blueprints.yaml``: the one given, its ``fsd``, or the SDE root's."""
    candidates = (path, path / "fsd", path / "sde" / "fsd", path.parent / "fsd")
    return next((folder for folder in candidates if (folder / BLUEPRINTS).is_file()), None)


def read(folder: Path, progress: ProgressCallback | None = None) -> CatalogData:
    files = _files(folder)
    bytes_read = ByteProgress(progress, sum(path.stat().st_size for path in files.all))

    def records(path: Path, record_type: type[R]) -> Iterator[tuple[int, R]]:
        for record_id, entry in _load(path, bytes_read).items():
            if not isinstance(record_id, int):
                raise malformed(path.name, f"record {record_id!r}", "the id is not an integer")
            try:
                yield record_id, msgspec.convert(entry, record_type)
            except msgspec.ValidationError as error:
                raise malformed(path.name, f"record {record_id}", error) from error

    return read_sde(files, records)


def _files(folder: Path) -> SdeFiles:
    types = _first(folder, _TYPES)
    if types is None:
        raise InvalidInput(f"{folder}: {BLUEPRINTS} found but neither {' nor '.join(_TYPES)}", field="path")
    return SdeFiles(
        blueprints=folder / BLUEPRINTS,
        types=types,
        groups=_first(folder, _GROUPS),
        categories=_first(folder, _CATEGORIES),
    )


def _first(folder: Path, names: tuple[str, ...]) -> Path | None:
    return next((folder / name for name in names if (folder / name).is_file()), None)


def _load(path: Path, progress: ByteProgress) -> dict[object, object]:
    with path.open("rb") as raw:
        try:
            document = yaml.load(ReportingReader(raw, progress), Loader=_Loader)
        except yaml.YAMLError as error:
            raise malformed(path.name, _where(error), getattr(error, "problem", None) or error) from error
    progress.file_done(path.stat().st_size)
    if not isinstance(document, dict):
        raise malformed(path.name, "line 1", "expected a mapping of ids to records")
    return document


def _where(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    return f"line {mark.line + 1}" if mark is not None else "content"
