"""The SDE's JSON-lines edition: ``blueprints.jsonl``, ``types.jsonl``, ``groups.jsonl``,
``categories.jsonl`` and ``typeDogma.jsonl``.

One JSON object per line, the id in ``_key`` and otherwise the YAML's fields (esi/esi-docs
``docs/services/static-data/index.md``: integer keys become ``_key``; field names as in
``sde_records``). Read line by line, so even the big files never sit in memory whole.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path

import msgspec

from application.catalog_sources.assemble import ByteProgress, ProgressCallback, malformed
from application.catalog_sources.sde_records import R, SdeFiles, read_sde
from domain.catalog.model import CatalogData
from domain.errors import InvalidInput

BLUEPRINTS = "blueprints.jsonl"


def locate(path: Path) -> Path | None:
    return path if (path / BLUEPRINTS).is_file() else None


def read(folder: Path, progress: ProgressCallback | None = None) -> CatalogData:
    files = _files(folder)
    bytes_read = ByteProgress(progress, sum(path.stat().st_size for path in files.all))

    def records(path: Path, record_type: type[R], keys: Collection[int] | None = None) -> Iterator[tuple[int, R]]:
        decoder = msgspec.json.Decoder(record_type)
        with path.open("rb") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    key, record = _decode(decoder, line, path.name, number)
                    if keys is None or key in keys:
                        yield key, record
                bytes_read.at(lines.tell())
        bytes_read.file_done(path.stat().st_size)

    return read_sde(files, records)


def _files(folder: Path) -> SdeFiles:
    types = folder / "types.jsonl"
    if not types.is_file():
        raise InvalidInput(f"{folder}: {BLUEPRINTS} found but no types.jsonl", field="path")
    return SdeFiles(
        blueprints=folder / BLUEPRINTS,
        types=types,
        groups=_optional(folder / "groups.jsonl"),
        categories=_optional(folder / "categories.jsonl"),
        type_dogma=_optional(folder / "typeDogma.jsonl"),
        regions=_optional(folder / "mapRegions.jsonl"),
        systems=_optional(folder / "mapSolarSystems.jsonl"),
        stargates=_optional(folder / "mapStargates.jsonl"),
        stations=_optional(folder / "npcStations.jsonl"),
    )


def _optional(path: Path) -> Path | None:
    return path if path.is_file() else None


def _decode(decoder: msgspec.json.Decoder[R], line: bytes, file: str, number: int) -> tuple[int, R]:
    try:
        record = decoder.decode(line)
    except msgspec.DecodeError as error:  # also covers ValidationError
        raise malformed(file, f"line {number}", error) from error
    if record.key is None:
        raise malformed(file, f"line {number}", KeyError("_key"))
    return record.key, record
