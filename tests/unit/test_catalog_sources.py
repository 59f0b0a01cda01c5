"""Catalog readers: the SDE (YAML, JSON lines), the CSV dump and our JSON give one catalog.

The fixtures hold a few real entries in the real layouts: the Rifter (587) and its blueprint
(691, with invention), a blueprint whose type is not in the types file (681), and a reaction
formula (46166). 681/691 match xiboliyadongtu/eve-blueprint-data ``fsd/blueprints.yaml`` and
cjkilman/eve-sde-dump's CSVs; 46166's numbers come from code quoting the SDE, and the volume of
Caesarium Cadmide (16663) is a stand-in. Two generic decryptors (Accelerant 34201, Process 34205,
group 1304) and an older racial one (Cryptic Accelerant 21580, group 729 "Decryptors - Minmatar")
carry their dogma values as guiguilechat/JCELechat's SDE-generated ``GenericDecryptor.yaml`` and
``DecryptorsMinmatar.yaml`` list them (32-bit floats: 1.2000000476837158); their group names are
cjkilman/eve-sde-dump's ``invGroups.csv``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from application.catalog_sources import read_catalog
from domain.catalog.model import ActivityKind, CatalogData, CatalogFile, Decryptor, Item, Material, Product, Recipe
from domain.errors import InvalidInput

FIXTURES = Path(__file__).parents[1] / "fixtures"
SOURCES = ("sde_yaml", "sde_jsonl", "csv_dump")


def read(source: str) -> CatalogData:
    return read_catalog(FIXTURES / source)


def item(catalog: CatalogData, type_id: int) -> Item:
    return next(entry for entry in catalog.items if entry.type_id == type_id)


def recipe(catalog: CatalogData, recipe_id: int) -> Recipe:
    return next(entry for entry in catalog.recipes if entry.recipe_id == recipe_id)


def copy_of(source: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / source, tmp_path / source))


def test_every_source_reads_the_same_catalog() -> None:
    yaml_catalog, jsonl_catalog, csv_catalog = (read(source) for source in SOURCES)

    assert len(yaml_catalog.items) == 11
    assert set(yaml_catalog.items) == set(jsonl_catalog.items) == set(csv_catalog.items)
    assert len(yaml_catalog.recipes) == 3
    assert set(yaml_catalog.recipes) == set(jsonl_catalog.recipes) == set(csv_catalog.recipes)


@pytest.mark.parametrize("source", SOURCES)
def test_rifter_blueprint_manufacturing(source: str) -> None:
    rifter_blueprint = recipe(read(source), 691)

    assert rifter_blueprint.name == "Rifter Blueprint"
    assert rifter_blueprint.max_runs == 30
    assert rifter_blueprint.primary is False
    manufacturing = rifter_blueprint.activity(ActivityKind.MANUFACTURING)
    assert manufacturing is not None
    assert manufacturing.time == 6000
    assert manufacturing.materials == (
        Material(type_id=34, quantity=32000),
        Material(type_id=35, quantity=6000),
        Material(type_id=36, quantity=2500),
        Material(type_id=37, quantity=500),
    )
    assert manufacturing.products == (Product(type_id=587, quantity=1),)
    assert [activity.kind.activity_id for activity in rifter_blueprint.activities] == [1, 3, 4, 5, 8]


@pytest.mark.parametrize("source", SOURCES)
def test_items_have_english_names_with_group_and_category_joined(source: str) -> None:
    catalog = read(source)

    assert item(catalog, 587) == Item(
        type_id=587,
        name="Rifter",
        group_id=25,
        group_name="Frigate",
        category_id=6,
        category_name="Ship",
        volume=27289.0,
        portion_size=1,
        market_group_id=64,
        published=True,
    )
    assert item(catalog, 34).name == "Tritanium"
    assert item(catalog, 691).category_name == "Blueprint"


@pytest.mark.parametrize("source", SOURCES)
def test_invention_keeps_probabilities(source: str) -> None:
    invention = recipe(read(source), 691).activity(ActivityKind.INVENTION)

    assert invention is not None
    assert invention.products == (
        Product(type_id=11372, quantity=1, probability=0.3),
        Product(type_id=11401, quantity=1, probability=0.3),
    )
    assert [skill.type_id for skill in invention.skills] == [11445, 11452, 21791]


@pytest.mark.parametrize("source", SOURCES)
def test_copying_and_research_keep_their_times(source: str) -> None:
    rifter_blueprint = recipe(read(source), 691)

    times = {activity.kind: activity.time for activity in rifter_blueprint.activities}
    assert times[ActivityKind.COPYING] == 4800
    assert times[ActivityKind.RESEARCH_MATERIAL] == times[ActivityKind.RESEARCH_TIME] == 2100
    assert times[ActivityKind.INVENTION] == 63900


@pytest.mark.parametrize("source", SOURCES)
def test_generic_decryptors_carry_their_invention_effects(source: str) -> None:
    catalog = read(source)

    accelerant, process = item(catalog, 34201), item(catalog, 34205)
    assert accelerant.group_name == "Generic Decryptor" and accelerant.category_name == "Decryptors"
    # the SDE's 32-bit 1.2000000476837158 read as the designed 1.2
    assert accelerant.decryptor == Decryptor(probability_multiplier=1.2, me_modifier=2, te_modifier=10, runs_modifier=1)
    # Process carries no run modifier: 0
    assert process.decryptor == Decryptor(probability_multiplier=1.1, me_modifier=3, te_modifier=6, runs_modifier=0)
    assert item(catalog, 21580).decryptor is None, "a racial decryptor is not a generic one"
    assert item(catalog, 587).decryptor is None


@pytest.mark.parametrize(
    ("source", "dogma"),
    [("sde_yaml", "fsd/typeDogma.yaml"), ("sde_jsonl", "typeDogma.jsonl"), ("csv_dump", "dgmTypeAttributes.csv")],
)
def test_a_source_without_dogma_reads_decryptors_as_plain_items(source: str, dogma: str, tmp_path: Path) -> None:
    (copy_of(source, tmp_path) / dogma).unlink()

    catalog = read_catalog(tmp_path / source)

    assert item(catalog, 34201).name == "Accelerant Decryptor"
    assert all(entry.decryptor is None for entry in catalog.items)


@pytest.mark.parametrize("source", SOURCES)
def test_reactions_and_blueprints_of_unknown_types(source: str) -> None:
    catalog = read(source)

    formula = recipe(catalog, 46166)
    reaction = formula.activity(ActivityKind.REACTION)
    assert formula.name == "Caesarium Cadmide Reaction Formula"
    assert reaction is not None and reaction.time == 10800
    assert reaction.products == (Product(type_id=16663, quantity=200),)
    assert item(catalog, 46166).category_name == "Reaction"
    clone_grade_blueprint = recipe(catalog, 681)
    assert clone_grade_blueprint.name is None
    assert clone_grade_blueprint.max_runs == 300


def test_yaml_in_the_newer_file_names(tmp_path: Path) -> None:
    folder = copy_of("sde_yaml", tmp_path) / "fsd"
    for old, new in (("typeIDs", "types"), ("groupIDs", "groups"), ("categoryIDs", "categories")):
        (folder / f"{old}.yaml").rename(folder / f"{new}.yaml")

    assert read_catalog(folder) == read("sde_yaml")


def test_our_json_catalog(tmp_path: Path) -> None:
    catalog = read("sde_yaml")
    path = tmp_path / "catalog.json"
    as_file = CatalogFile(
        items=catalog.items,
        recipes=catalog.recipes,
        regions=catalog.regions,
        systems=catalog.systems,
        stations=catalog.stations,
    )
    path.write_bytes(msgspec.json.encode(as_file))

    assert read_catalog(path) == catalog


def test_csv_skips_unknown_activity_ids(tmp_path: Path) -> None:
    folder = copy_of("csv_dump", tmp_path)
    with (folder / "industryActivity.csv").open("a") as activities:
        activities.write("691,7,1200\n")  # 7: the retired reverse engineering

    assert read_catalog(folder) == read("csv_dump")


def test_a_source_beyond_the_limits_of_storage_is_refused_naming_the_record(tmp_path: Path) -> None:
    """The readers build items field by field; the limits decoding checks on the API apply to
    them too, so a name no column holds never reaches the event store."""
    folder = copy_of("csv_dump", tmp_path)
    with (folder / "invTypes.csv").open("a") as types:
        types.write(f"99999,18,{'X' * 300},,0,0.01,0,1,None,None,1,1857,None,None,None\n")

    with pytest.raises(InvalidInput, match=r"Expected `str` of length <= 255.*items\[\d+\]\.name"):
        read_catalog(folder)


@pytest.mark.parametrize("source", SOURCES)
def test_progress_ends_at_the_total(source: str) -> None:
    calls: list[tuple[int, int]] = []
    read_catalog(FIXTURES / source, lambda done, total: calls.append((done, total)))

    total = sum(path.stat().st_size for path in (FIXTURES / source).rglob("*") if path.is_file())
    assert calls[-1] == (total, total)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


@pytest.mark.parametrize(
    ("source", "file", "edit", "message"),
    [
        ("sde_yaml", "fsd/blueprints.yaml", lambda text: text.replace("time: 600\n", "time: [600\n"), "line"),
        (
            "sde_yaml",
            "fsd/blueprints.yaml",
            lambda text: text.replace("quantity: 32000", "quantity: lots"),
            "record 691",
        ),
        ("sde_jsonl", "types.jsonl", lambda text: text.replace('"groupID":18,', '"groupID":"18",', 1), "line 1"),
        ("sde_jsonl", "blueprints.jsonl", lambda text: text + "{not json\n", "line 4"),
        ("csv_dump", "industryActivityMaterials.csv", lambda text: text.replace("32000", "32k"), "line 5"),
    ],
)
def test_malformed_files_are_named(
    source: str, file: str, edit: Callable[[str], str], message: str, tmp_path: Path
) -> None:
    path = copy_of(source, tmp_path) / file
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")

    with pytest.raises(InvalidInput) as raised:
        read_catalog(tmp_path / source)

    assert raised.value.field == "path"
    assert f"{path.name} {message}" in raised.value.detail
    assert "\n" not in raised.value.detail


def test_incomplete_csv_dump_names_the_missing_file(tmp_path: Path) -> None:
    folder = copy_of("csv_dump", tmp_path)
    (folder / "invTypes.csv").unlink()

    with pytest.raises(InvalidInput, match="invTypes.csv"):
        read_catalog(folder)


@pytest.mark.parametrize("name", ["empty", "missing", "notes.txt"])
def test_unrecognisable_paths(name: str, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("hello")

    with pytest.raises(InvalidInput, match="no catalog found") as raised:
        read_catalog(tmp_path / name)

    assert raised.value.field == "path"


def test_sde_yaml_is_read_record_by_record_with_file_line_numbers(tmp_path: Path) -> None:
    folder = copy_of("sde_yaml", tmp_path) / "fsd"
    types = folder / "typeIDs.yaml"
    # comments and document markers between records are fine; a broken record far down the
    # file is reported at its line in the file, not in its chunk
    text = "# exported by hand\n---\n" + types.read_text()
    types.write_text(text)
    assert item(read_catalog(folder.parent), 587).name == "Rifter"
    broken_line = text.count("\n") + 2  # the unclosed "[" below
    types.write_text(text + "99999:\n    groupID: [18\n")
    # libyaml reports an unclosed bracket where the record ends, just after it
    with pytest.raises(InvalidInput, match=f"typeIDs.yaml line ({broken_line}|{broken_line + 1}):"):
        read_catalog(folder.parent)


def test_sde_yaml_type_dogma_parses_only_the_decryptors_records(tmp_path: Path) -> None:
    """typeDogma.yaml holds every type's attributes (hundreds of megabytes): the records of
    other types are cut out unparsed, so even a broken one costs nothing."""
    folder = copy_of("sde_yaml", tmp_path) / "fsd"
    dogma = folder / "typeDogma.yaml"
    dogma.write_text("587:\n  dogmaAttributes: [broken\n" + dogma.read_text())

    assert item(read_catalog(folder.parent), 34201).decryptor is not None


def test_sde_yaml_in_flow_style_is_read_whole(tmp_path: Path) -> None:
    folder = copy_of("sde_yaml", tmp_path) / "fsd"
    import yaml

    types = folder / "typeIDs.yaml"
    types.write_text(yaml.safe_dump(yaml.safe_load(types.read_text()), default_flow_style=True))
    assert item(read_catalog(folder.parent), 587).name == "Rifter"
