"""The SDE's YAML edition: ``blueprints.yaml`` with ``typeIDs.yaml`` or ``types.yaml`` & co.

Files are mappings of id -> record (see ``sde_records`` for the fields and where they were
verified). The classic SDE zip keeps them under ``sde/fsd/`` (``typeIDs.yaml``, ``groupIDs.yaml``,
``categoryIDs.yaml``; e.g. xiboliyadongtu/eve-blueprint-data ``fsd/blueprints.yaml``); CCP's
newer export puts ``types.yaml``, ``groups.yaml``, ``categories.yaml`` beside ``blueprints.yaml``
(same datasets as the JSON lines, per esi/esi-docs ``docs/services/static-data/index.md``).
The SDE writes each id at column 0 with its record indented below it, so a record ends where
the next line starts at column 0: records are cut there and parsed one at a time (C loader
when available), which keeps memory flat however large the file (typeIDs.yaml is hundreds of
megabytes); where only some ids are wanted (the decryptors' ``typeDogma.yaml`` records), the
others are cut out unparsed. A file in flow style (``{...}``) has no such boundaries and is
parsed whole.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path

import msgspec
import yaml

from application.catalog_sources.assemble import ByteProgress, ProgressCallback, malformed
from application.catalog_sources.sde_records import R, SdeFiles, read_sde
from domain.catalog.model import CatalogData
from domain.errors import InvalidInput

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the pure-Python one if built without libyaml

BLUEPRINTS = "blueprints.yaml"
_TYPES = ("types.yaml", "typeIDs.yaml")
_GROUPS = ("groups.yaml", "groupIDs.yaml")
_CATEGORIES = ("categories.yaml", "categoryIDs.yaml")
_TYPE_DOGMA = ("typeDogma.yaml",)


def locate(path: Path) -> Path | None:
    """The folder holding ``blueprints.yaml``: the one given, its ``fsd``, or the SDE root's."""
    candidates = (path, path / "fsd", path / "sde" / "fsd", path.parent / "fsd")
    return next((folder for folder in candidates if (folder / BLUEPRINTS).is_file()), None)


def read(folder: Path, progress: ProgressCallback | None = None) -> CatalogData:
    files = _files(folder)
    bytes_read = ByteProgress(progress, sum(path.stat().st_size for path in files.all))

    def records(path: Path, record_type: type[R], keys: Collection[int] | None = None) -> Iterator[tuple[int, R]]:
        for record_id, entry in _entries(path, bytes_read, keys):
            if not isinstance(record_id, int):
                raise malformed(path.name, f"record {record_id!r}", "the id is not an integer")
            if keys is not None and record_id not in keys:
                continue
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
        type_dogma=_first(folder, _TYPE_DOGMA),
        regions=_first(folder, ("mapRegions.yaml",)),
        systems=_first(folder, ("mapSolarSystems.yaml",)),
        stargates=_first(folder, ("mapStargates.yaml",)),
        stations=_first(folder, ("npcStations.yaml",)),
    )


def _first(folder: Path, names: tuple[str, ...]) -> Path | None:
    return next((folder / name for name in names if (folder / name).is_file()), None)


_CONTINUED = (b" ", b"\t", b"\r", b"\n", b"#")
_MARKERS = (b"---", b"...")


def _entries(path: Path, progress: ByteProgress, keys: Collection[int] | None) -> Iterator[tuple[object, object]]:
    """The file's top-level (id, record) pairs, parsed record by record (with ``keys``, records
    whose id line names another id are skipped unparsed)."""
    chunk: list[bytes] = []
    start = number = 0
    with path.open("rb") as raw:
        for line in raw:
            number += 1
            if line.startswith(_MARKERS):
                continue
            if not chunk and line.lstrip().startswith((b"{", b"[")):
                yield from _parse(path, [line, *raw], number)  # flow style: no record boundaries
                break
            if not line.startswith(_CONTINUED) and chunk:
                if _wanted(chunk[0], keys):
                    yield from _parse(path, chunk, start)
                chunk = []
            if not chunk:
                start = number
            chunk.append(line)
            progress.at(raw.tell())
        if chunk and _wanted(chunk[0], keys):
            yield from _parse(path, chunk, start)
    progress.file_done(path.stat().st_size)


def _wanted(id_line: bytes, keys: Collection[int] | None) -> bool:
    """Whether the record starting with ``id_line`` (``34201:``) may be one of ``keys``; a line
    that is not a plain id is parsed, so YAML's other ways of writing a key still work."""
    head = id_line.split(b":", 1)[0].strip()
    return keys is None or not head.isdigit() or int(head) in keys


def _parse(path: Path, lines: list[bytes], first_line: int) -> Iterator[tuple[object, object]]:
    try:
        document = yaml.load(b"".join(lines), Loader=_Loader)
    except yaml.YAMLError as error:
        raise malformed(path.name, _where(error, first_line), getattr(error, "problem", None) or error) from error
    if document is None:  # only comments or blank lines
        return
    if not isinstance(document, dict):
        raise malformed(path.name, f"line {first_line}", "expected a mapping of ids to records")
    yield from document.items()


def _where(error: yaml.YAMLError, first_line: int) -> str:
    mark = getattr(error, "problem_mark", None)
    return f"line {mark.line + first_line}" if mark is not None else "content"
