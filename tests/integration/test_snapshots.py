"""Snapshots (issue 16): the aggregates whose histories grow without end are restored from
their newest snapshot plus the events after it, and that equals replaying every event, on
both databases. Audit and as-of-version reads replay events only; a snapshot of another
state layout, or one that fails to write, changes nothing but speed."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from application import event_store, snapshots
from application.audit import AuditState, audit
from application.catalog import SAMPLE_CATALOG
from application.catalog_sources import read_catalog
from application.event_store import EventStore
from application.settings import Settings
from application.snapshots import SNAPSHOTTED, Layout, kind_of
from application.system import Manufactory
from domain.aggregate import Aggregate
from domain.catalog.catalog import SHARED_CATALOG_OWNER, Catalog
from domain.crafting import CraftRecipe, ItemRequirement, ItemYield
from domain.crafting_world import World
from domain.events import CommandMeta
from domain.industry.characters import Character, Roster
from domain.industry.plan import Plan, StepSetup
from domain.manufacturing.container import Container
from domain.stock.assets import Assets
from tests.integration.test_event_store import store_legacy_container
from tests.unit.test_chains import GRAPH, S

INTERVAL = 3
SMELT = CraftRecipe(id="smelt", inputs=(ItemRequirement("ore", 2),), outputs=(ItemYield("ingot", 1),), duration=60.0)


@pytest.fixture
def store(settings: Settings) -> Iterator[EventStore]:
    """The event store of a system that snapshots every 3 events."""
    with Manufactory.open(msgspec.structs.replace(settings, snapshot_interval=INTERVAL)) as system:
        yield system.store


def meta(user_id: uuid.UUID) -> CommandMeta:
    return CommandMeta(user_id=user_id, correlation_id="snapshots")


def one_save_per_command(store: EventStore, aggregate: Aggregate, *commands: Callable[[Any], object]) -> None:
    store.save_events(aggregate)
    for command in commands:
        command(aggregate)
        store.save_events(aggregate)


def a_world(store: EventStore, owner: uuid.UUID) -> Aggregate:
    """Recipes, an inventory, a manager, jobs running across the snapshot, completions after it."""
    m = meta(owner)
    world = World.create(uuid.uuid4(), "snapshot world", 7, m)
    one_save_per_command(
        store,
        world,
        lambda w: w.register_recipes([SMELT], replace=False, meta=m),
        lambda w: w.create_inventory("inv", None, {"ore": 100}, m),
        lambda w: w.create_manager("forge", (), m),
        lambda w: w.start("forge", "smelt", "p1", "inv", 0.0, m),
        lambda w: w.start("forge", "smelt", "p2", "inv", 10.0, m, repeat=True),
        lambda w: w.catch_up(200.0, m),  # completes p1, and p2's cycles restart
        lambda w: w.add_items("inv", {"ore": 5}, m),
    )
    return world


def assets(store: EventStore, owner: uuid.UUID) -> Aggregate:
    m = meta(owner)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    deliveries = [lambda a, n=n: a.receive(60003760, 34 + n % 2, n + 1, "job", at, m) for n in range(6)]
    return _saved(store, Assets.open(owner, m), deliveries)


def roster(store: EventStore, owner: uuid.UUID) -> Aggregate:
    m = meta(owner)
    registrations = [lambda r, n=n: r.register(Character(character_id=n + 1, name=f"pilot {n}"), m) for n in range(5)]
    return _saved(store, Roster.open(owner, m), [*registrations, lambda r: r.remove(2, m)])


def catalog(store: EventStore, owner: uuid.UUID) -> Aggregate:
    m = meta(owner)
    data = read_catalog(SAMPLE_CATALOG)
    first, second = data.items[0].type_id, data.items[1].type_id
    marks = [lambda c, n=n: c.mark_bought([first] if n % 2 else [second], m) for n in range(4)]
    return _saved(store, Catalog.open(owner, m), [lambda c: c.import_data(data, "sample", m), *marks])


def shared_catalog(store: EventStore, admin: uuid.UUID) -> Aggregate:
    """The shared catalog, imported by an admin, version after version."""
    m = meta(admin)
    data = read_catalog(SAMPLE_CATALOG)

    def renamed(n: int) -> Any:
        first = msgspec.structs.replace(data.items[0], name=f"{data.items[0].name} {n}")
        return msgspec.structs.replace(data, items=(first, *data.items[1:]))

    versions = [lambda c, n=n: c.import_data(renamed(n), "sde", m) for n in range(2)]
    return _saved(store, Catalog.open(SHARED_CATALOG_OWNER, m), [lambda c: c.import_data(data, "sde", m), *versions])


def plan(store: EventStore, owner: uuid.UUID) -> Aggregate:
    m = meta(owner)
    created = Plan.create(uuid.uuid4(), "Ships", S, GRAPH, StepSetup(me_level=10, te_level=20), None, m)
    return _saved(store, created, [lambda p, n=n: p.rename(f"Ships {n}", m) for n in range(6)])


def _saved(store: EventStore, aggregate: Aggregate, commands: list[Callable[[Any], object]]) -> Aggregate:
    one_save_per_command(store, aggregate, *commands)
    return aggregate


KINDS = {
    "World": a_world,
    "Assets": assets,
    "Catalog": catalog,
    "SharedCatalog": shared_catalog,
    "Roster": roster,
    "Plan": plan,
}


def restored_reading(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """Where each read of events starts (``gt``), from now on."""
    starts: list[int | None] = []
    read = store.events.get

    def spy(originator_id: uuid.UUID, **kwargs: Any) -> Any:
        starts.append(kwargs.get("gt") or None)  # 0 or None: from the first event
        return read(originator_id, **kwargs)

    monkeypatch.setattr(store.events, "get", spy)
    return starts


@pytest.mark.parametrize("kind", list(KINDS))
def test_snapshot_plus_tail_equals_the_full_replay(
    store: EventStore, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = KINDS[kind](store, uuid.uuid4())
    assert type(live) in SNAPSHOTTED
    snapshot_version = store.snapshot_version(live.id)
    assert snapshot_version is not None and 0 < snapshot_version < live.version  # a tail to fold

    starts = restored_reading(store, monkeypatch)
    restored = store.restore(live.id)
    replayed = store.load(live.id, type(live), from_events=True)

    assert starts == [snapshot_version, None]  # the restore read only the tail; the replay all
    assert restored is not None and restored.version == replayed.version == live.version
    assert restored.state() == replayed.state() == live.state()
    assert store.load(live.id, type(live), fresh=True).state() == live.state()


@pytest.mark.parametrize("kind", list(KINDS))
def test_replays_read_the_events_a_page_at_a_time_and_fold_the_same_state(
    store: EventStore, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However long a history, a replay holds one page of its events at a time."""
    live = KINDS[kind](store, uuid.uuid4())
    earlier = store.load(live.id, type(live), version=live.version - 1).state()
    monkeypatch.setattr(event_store, "REPLAY_PAGE", 2)
    reads: list[dict[str, Any]] = []
    read = store.events.get

    def spy(originator_id: uuid.UUID, **kwargs: Any) -> Any:
        reads.append(kwargs)
        return read(originator_id, **kwargs)

    monkeypatch.setattr(store.events, "get", spy)
    replayed = store.load(live.id, type(live), from_events=True)
    assert [(page["gt"], page["lte"]) for page in reads] == [
        (start, start + 2) for start in range(0, live.version + 1, 2)
    ]
    assert store.load(live.id, type(live), version=live.version - 1).state() == earlier
    restored = store.restore(live.id)
    assert restored is not None and restored.state() == replayed.state() == live.state()
    assert all(page["lte"] - page["gt"] <= 2 and "limit" not in page for page in reads)


def test_a_world_comes_back_in_another_process_from_its_snapshot(settings: Settings) -> None:
    """The crafting service of a restarted server restores worlds as snapshot + tail."""
    snapshotting = msgspec.structs.replace(settings, snapshot_interval=INTERVAL)
    owner = uuid.uuid4()
    with Manufactory.open(snapshotting) as first:
        world = a_world(first.store, owner)
    with Manufactory.open(snapshotting) as second:
        state = second.crafting.read(world.id, owner, lambda w, _: w.state(), current=False)
        assert second.store.snapshot_version(world.id) is not None
    assert state == world.state()


def test_snapshot_plus_tail_equals_the_replay_after_an_upcaster_changed_an_event_version(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A container (snapshotting here for the test) whose creation is stored at v1, from
    before ``ContainerRegistered`` v2: the snapshot holds the upcast state, the tail adds to it."""
    monkeypatch.setitem(SNAPSHOTTED, Container, Layout(1, ("domain.manufacturing",)))
    monkeypatch.setitem(snapshots._KINDS, kind_of(Container), Container)
    owner = uuid.uuid4()
    aggregate_id = store_legacy_container(store, owner)
    container = store.load(aggregate_id, Container)
    for workers in range(2, 7):  # versions 2-6: snapshots at 3 and 6
        container.change_config({"max_workers": workers}, meta(owner))
        store.save_events(container)
    container.change_config({"max_workers": 9}, meta(owner))
    store.save_events(container)
    assert b'"min_price":1000' in store.recorder.select_events(aggregate_id)[0].state  # still stored at v1
    assert store.snapshot_version(aggregate_id) == 6

    restored = store.restore(aggregate_id)
    replayed = store.load(aggregate_id, Container, from_events=True)
    assert restored is not None and restored.state() == replayed.state()
    assert replayed.state().config.min_purchase_price == 1000  # from the upcast v1 event
    assert replayed.state().config.max_workers == 9  # from the tail


def test_audit_and_as_of_version_reads_replay_events_never_snapshots(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot that lies (here: written by hand, at the right layout and version) would
    show in a restore, but never in audit or a read at an older version."""
    owner = uuid.uuid4()
    live = roster(store, owner)
    snapshot_version = store.snapshot_version(live.id)
    assert snapshot_version is not None
    lie = store.load(live.id, Roster)
    lie.characters = {}
    store._snapshots.keep(snapshots.take(lie))  # at the latest version: a restore folds nothing onto it

    starts = restored_reading(store, monkeypatch)
    trail = audit(store, owner, live.id, None)
    at_four = audit(store, owner, live.id, 4)
    assert isinstance(at_four, AuditState)
    assert set(starts) == {None}  # every read began at the first event
    assert trail.version == live.version
    assert at_four.state == audit_state(store.load(live.id, Roster, version=4))
    assert store.load(live.id, Roster, from_events=True).state() == live.state()
    restored = store.restore(live.id)  # the lie shows only here
    assert restored is not None and restored.state() != live.state()


def audit_state(aggregate: Aggregate) -> Any:
    from application.audit import camel_keys

    return camel_keys(msgspec.to_builtins(aggregate.state()))


def test_a_snapshot_of_another_layout_version_is_ignored(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    live = roster(store, uuid.uuid4())
    assert store.snapshot_version(live.id) is not None
    snapshots._layout.cache_clear()
    monkeypatch.setitem(SNAPSHOTTED, Roster, Layout(2, ("domain.industry",)))
    try:
        assert store.snapshot_version(live.id) is None
        starts = restored_reading(store, monkeypatch)
        restored = store.restore(live.id)
        assert starts == [None]
        assert restored is not None and restored.state() == live.state()
    finally:
        monkeypatch.undo()
        snapshots._layout.cache_clear()


@pytest.mark.parametrize(("interval", "expected"), [(0, [None] * 8), (5, [None] * 4 + [5] * 4)])
def test_the_interval_setting_is_honoured(settings: Settings, interval: int, expected: list[int | None]) -> None:
    """Snapshots at every multiple of the interval; none at all with 0."""
    owner = uuid.uuid4()
    with Manufactory.open(msgspec.structs.replace(settings, snapshot_interval=interval)) as system:
        store = system.store
        m = meta(owner)
        assets_ = Assets.open(owner, m)
        seen = []
        for n in range(8):  # versions 1..8
            if n:
                assets_.receive(60003760, 34, n, "job", datetime(2026, 12, 1, tzinfo=UTC), m)
            store.save_events(assets_)
            seen.append(store.snapshot_version(assets_.id))
    assert seen == expected
    assert Settings.from_env({"MANUFACTORY_SNAPSHOT_INTERVAL": "250"}).snapshot_interval == 250


def test_a_failed_snapshot_write_never_fails_the_command(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store._snapshots, "keep", broken)
    live = roster(store, uuid.uuid4())
    assert store.snapshot_version(live.id) is None
    assert store.load(live.id, Roster, fresh=True).state() == live.state()


def test_a_snapshot_that_does_not_load_is_ignored(store: EventStore) -> None:
    live = roster(store, uuid.uuid4())
    garbage = msgspec.structs.replace(snapshots.take(live), version=live.version + 1, state=b"not a pickle")
    store._snapshots.keep(garbage)
    assert store.snapshot_version(live.id) is None
    restored = store.restore(live.id)
    assert restored is not None and restored.state() == live.state()
