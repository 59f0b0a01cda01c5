"""A catalog: the static data of a game, versioned by imports: a user's private one, or the
shared one an admin imports for everyone (``SHARED_CATALOG_OWNER``'s, at ``SHARED_CATALOG_ID``).

An import is diffed against the catalog by per-entity content hashes, so only what was
added, changed or removed is recorded (in chunks, all in one atomic save), followed by the
new version with its counts and a content hash; importing the same data again records
nothing. The aggregate keeps only the hashes: the items and recipes live in the projection.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.catalog.model import CatalogData, Item, Recipe
from domain.catalog.universe import Region, SolarSystem, Station
from domain.errors import RuleViolation
from domain.events import CommandMeta, Event
from domain.work_limits import DEFAULT_LIMITS, WorkLimits, ensure_within

_CATALOG_NAMESPACE = UUID("3c0e8f7a-51b2-4d8e-a1d4-6f0b2c9e7d13")
CHUNK = 1000
T = TypeVar("T")


def catalog_aggregate_id(owner_id: UUID) -> UUID:
    return uuid.uuid5(_CATALOG_NAMESPACE, str(owner_id))


# The shared catalog belongs to no user: this well-known owner holds it (and keys its read
# model rows), so one import serves every user who has no private catalog.
SHARED_CATALOG_OWNER = UUID("5a4ed0c0-0000-4000-8000-00000000ca7a")
SHARED_CATALOG_ID = catalog_aggregate_id(SHARED_CATALOG_OWNER)


Entity = Item | Recipe | Region | SolarSystem | Station


def entity_hash(entity: Entity) -> str:
    return hashlib.blake2b(msgspec.json.encode(entity), digest_size=12).hexdigest()


# camelCase as stored: CatalogVersionRecorded keeps the summary.
class ImportSummary(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    catalog_version: int
    content_hash: str
    items_added: int
    items_changed: int
    items_removed: int
    recipes_added: int
    recipes_changed: int
    recipes_removed: int


class Catalog(Aggregate):
    game: str
    catalog_version: int
    content_hash: str
    item_hashes: dict[int, str]
    recipe_hashes: dict[int, str]
    map_hashes: dict[str, dict[int, str]]  # per kind of the map's entities
    bought: tuple[int, ...]
    moved_to_shared: bool  # its user follows the shared catalog since, until the next import

    @classmethod
    def open(cls, owner_id: UUID, meta: CommandMeta) -> Catalog:
        return cls._create(
            CatalogOpened,
            catalog_aggregate_id(owner_id),
            meta=meta,
            owner_id=owner_id,
        )

    def import_data(
        self, data: CatalogData, source: str, meta: CommandMeta, limits: WorkLimits = DEFAULT_LIMITS
    ) -> ImportSummary | None:
        """Record what changed; None (and nothing recorded) when the data is the same. An
        import is the whole catalog, so its size bounds the catalog's (and every chain's)."""
        ensure_within("items in one catalog import", len(data.items), limits.catalog_items, "items")
        ensure_within("recipes in one catalog import", len(data.recipes), limits.catalog_recipes, "recipes")
        items = {item.type_id: (entity_hash(item), item) for item in data.items}
        recipes = {recipe.recipe_id: (entity_hash(recipe), recipe) for recipe in data.recipes}
        item_diff = _diff(self.item_hashes, items)
        recipe_diff = _diff(self.recipe_hashes, recipes)
        places = _map_entities(data)
        place_diffs = [_diff(self._map_hashes(kind), entities) for kind, entities in places.items()]
        unchanged = not any(item_diff) and not any(recipe_diff) and not any(map(any, place_diffs))
        if unchanged and data.game == self.game:
            return None
        version = self.catalog_version + 1
        self._record_changes(CatalogItemsChanged, version, items, item_diff, meta)
        self._record_changes(CatalogRecipesChanged, version, recipes, recipe_diff, meta)
        for (kind, entities), diff in zip(places.items(), place_diffs, strict=True):
            self._record_changes(_MAP_EVENTS[kind], version, entities, diff, meta)
        summary = ImportSummary(
            catalog_version=version,
            content_hash=_content_hash(data.game, items, recipes, places),
            items_added=len(item_diff[0]),
            items_changed=len(item_diff[1]),
            items_removed=len(item_diff[2]),
            recipes_added=len(recipe_diff[0]),
            recipes_changed=len(recipe_diff[1]),
            recipes_removed=len(recipe_diff[2]),
        )
        self._record(CatalogVersionRecorded, meta=meta, game=data.game, source=source, summary=summary)
        return summary

    def _record_changes(
        self,
        event_class: type[Event],
        version: int,
        entities: dict[int, tuple[str, Any]],
        diff: tuple[set[int], set[int], set[int]],
        meta: CommandMeta,
    ) -> None:
        """Upserts in chunks of ``CHUNK``, then the removals, as ``event_class`` events."""
        added, changed, removed = diff
        for chunk in _chunks([entities[key][1] for key in sorted(added | changed)]):
            self._record(event_class, meta=meta, catalog_version=version, upserted=chunk, removed=())
        if removed:
            self._record(event_class, meta=meta, catalog_version=version, upserted=(), removed=tuple(sorted(removed)))

    def _map_hashes(self, kind: str) -> dict[int, str]:
        """The map's entity hashes of ``kind`` (regions, systems, stations)."""
        return self.map_hashes.setdefault(kind, {})

    def mark_bought(self, type_ids: Iterable[int], meta: CommandMeta) -> bool:
        """Items the user buys rather than builds: raw materials in their chains. Replaces
        the previous marks; False (nothing recorded) when they are the same."""
        marked = known_marks(type_ids, self.item_hashes)
        if marked == self.bought:
            return False
        self._record(BoughtItemsMarked, meta=meta, type_ids=marked)
        return True

    def move_to_shared(self, shared: Catalog, meta: CommandMeta) -> None:
        """Give this private catalog up for the shared one, which holds the very same data
        (same content hash), so none of its user's answers change; its bought marks go to the
        user's overlay (the caller's part). A later import makes it private again."""
        if self.moved_to_shared:
            raise RuleViolation("this catalog already follows the shared catalog", "user")
        if not shared.content_hash or shared.content_hash != self.content_hash:
            raise RuleViolation(
                f"this catalog ({self.content_hash or 'empty'}) differs from the shared catalog's current "
                f"version ({shared.content_hash or 'none imported'}): it stays private",
                "user",
            )
        self._record(CatalogMovedToShared, meta=meta, content_hash=self.content_hash)

    def state(self) -> dict[str, Any]:
        return {
            "game": self.game,
            "catalog_version": self.catalog_version,
            "content_hash": self.content_hash,
            "items": len(self.item_hashes),
            "recipes": len(self.recipe_hashes),
            **{kind: len(hashes) for kind, hashes in self.map_hashes.items() if hashes},
            "bought": list(self.bought),
            "moved_to_shared": self.moved_to_shared,
        }


def known_marks(type_ids: Iterable[int], known: Mapping[int, str]) -> tuple[int, ...]:
    """Bought marks, sorted and unique, once every one is an item of the catalog (``known``)."""
    marked = tuple(sorted(set(type_ids)))
    unknown = [type_id for type_id in marked if type_id not in known]
    if unknown:
        raise RuleViolation(f"not in your catalog: {', '.join(map(str, unknown))}", "type_ids")
    return marked


def _diff(known: dict[int, str], incoming: dict[int, tuple[str, Any]]) -> tuple[set[int], set[int], set[int]]:
    """(added, changed, removed) ids."""
    added = {key for key in incoming if key not in known}
    changed = {key for key, (digest, _) in incoming.items() if key in known and known[key] != digest}
    removed = {key for key in known if key not in incoming}
    return added, changed, removed


def _map_entities(data: CatalogData) -> dict[str, dict[int, tuple[str, Any]]]:
    return {
        "regions": {region.region_id: (entity_hash(region), region) for region in data.regions},
        "systems": {system.system_id: (entity_hash(system), system) for system in data.systems},
        "stations": {station.station_id: (entity_hash(station), station) for station in data.stations},
    }


def _content_hash(
    game: str,
    items: dict[int, tuple[str, Any]],
    recipes: dict[int, tuple[str, Any]],
    places: Mapping[str, dict[int, tuple[str, Any]]],
) -> str:
    """Over items and recipes, then the map's parts where it has any (so a catalog without a
    map keeps the hash it had before maps were imported)."""
    digest = hashlib.blake2b(game.encode(), digest_size=16)
    parts = [(b"i", items), (b"r", recipes)]
    parts += [(kind[0].upper().encode(), entities) for kind, entities in places.items() if entities]
    for prefix, entities in parts:
        for key in sorted(entities):
            digest.update(prefix + str(key).encode() + entities[key][0].encode())
    return digest.hexdigest()


def _update_hashes(hashes: dict[int, str], upserted: Mapping[int, Entity], removed: Iterable[int]) -> None:
    for key, entity in upserted.items():
        hashes[key] = entity_hash(entity)
    for key in removed:
        hashes.pop(key, None)


def _chunks(entities: Sequence[T]) -> Iterable[tuple[T, ...]]:
    for start in range(0, len(entities), CHUNK):
        yield tuple(entities[start : start + CHUNK])


class CatalogOpened(Event, frozen=True):
    owner_id: UUID

    def apply(self, aggregate: Any) -> Catalog:
        catalog = Catalog(self.originator_id, self.owner_id, self.timestamp)
        catalog.game = "eve"
        catalog.catalog_version = 0
        catalog.content_hash = ""
        catalog.item_hashes = {}
        catalog.recipe_hashes = {}
        catalog.map_hashes = {}
        catalog.bought = ()
        catalog.moved_to_shared = False
        return catalog


class CatalogItemsChanged(Event, frozen=True):
    catalog_version: int
    upserted: tuple[Item, ...]
    removed: tuple[int, ...]

    def apply(self, aggregate: Catalog) -> Catalog:
        _update_hashes(aggregate.item_hashes, {item.type_id: item for item in self.upserted}, self.removed)
        return aggregate


class CatalogRecipesChanged(Event, frozen=True):
    catalog_version: int
    upserted: tuple[Recipe, ...]
    removed: tuple[int, ...]

    def apply(self, aggregate: Catalog) -> Catalog:
        _update_hashes(aggregate.recipe_hashes, {recipe.recipe_id: recipe for recipe in self.upserted}, self.removed)
        return aggregate


class CatalogRegionsChanged(Event, frozen=True):
    catalog_version: int
    upserted: tuple[Region, ...]
    removed: tuple[int, ...]

    def apply(self, aggregate: Catalog) -> Catalog:
        upserted = {region.region_id: region for region in self.upserted}
        _update_hashes(aggregate._map_hashes("regions"), upserted, self.removed)
        return aggregate


class CatalogSystemsChanged(Event, frozen=True):
    """Solar systems with their stargate neighbours: a changed jump changes both its ends."""

    catalog_version: int
    upserted: tuple[SolarSystem, ...]
    removed: tuple[int, ...]

    def apply(self, aggregate: Catalog) -> Catalog:
        upserted = {system.system_id: system for system in self.upserted}
        _update_hashes(aggregate._map_hashes("systems"), upserted, self.removed)
        return aggregate


class CatalogStationsChanged(Event, frozen=True):
    catalog_version: int
    upserted: tuple[Station, ...]
    removed: tuple[int, ...]

    def apply(self, aggregate: Catalog) -> Catalog:
        upserted = {station.station_id: station for station in self.upserted}
        _update_hashes(aggregate._map_hashes("stations"), upserted, self.removed)
        return aggregate


_MAP_EVENTS: dict[str, type[Event]] = {
    "regions": CatalogRegionsChanged,
    "systems": CatalogSystemsChanged,
    "stations": CatalogStationsChanged,
}


class CatalogVersionRecorded(Event, frozen=True):
    game: str
    source: str
    summary: ImportSummary

    def apply(self, aggregate: Catalog) -> Catalog:
        aggregate.game = self.game
        aggregate.catalog_version = self.summary.catalog_version
        aggregate.content_hash = self.summary.content_hash
        aggregate.moved_to_shared = False
        return aggregate


class BoughtItemsMarked(Event, frozen=True):
    type_ids: tuple[int, ...]

    def apply(self, aggregate: Catalog) -> Catalog:
        aggregate.bought = self.type_ids
        return aggregate


class CatalogMovedToShared(Event, frozen=True):
    """The user follows the shared catalog from now on; this one is emptied, so an import
    after it records everything again, as the first import did."""

    content_hash: str

    def apply(self, aggregate: Catalog) -> Catalog:
        aggregate.moved_to_shared = True
        aggregate.content_hash = ""
        aggregate.item_hashes, aggregate.recipe_hashes, aggregate.map_hashes = {}, {}, {}
        aggregate.bought = ()
        return aggregate
