"""A large SDE file is read in bounded memory: a 14 MB ``typeIDs.yaml`` (about 20 s of CPU
under ``tracemalloc``, so not among the unit tests, which answer in seconds)."""

from __future__ import annotations

from pathlib import Path

from application.catalog_sources import read_catalog
from tests.unit.test_catalog_sources import copy_of


def test_a_large_sde_yaml_file_is_parsed_in_bounded_memory(tmp_path: Path) -> None:
    import tracemalloc

    folder = copy_of("sde_yaml", tmp_path) / "fsd"
    types = folder / "typeIDs.yaml"
    extra = "".join(
        f"{type_id}:\n    groupID: 18\n    name:\n        en: Filler {type_id} {'x' * 240}\n    published: true\n"
        for type_id in range(100_000, 145_000)
    )
    types.write_text(types.read_text() + extra)  # about 14 MB (names within the 255 a column holds)
    tracemalloc.start()
    catalog = read_catalog(folder.parent)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(catalog.items) > 45_000
    # the parsed items themselves take ~25 MB; a whole-file parse held the node tree on top
    assert peak < 120 * 1024 * 1024, peak
