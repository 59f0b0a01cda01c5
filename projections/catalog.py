"""Read models of the catalogs: items, recipes and their links, versions, and the spec's
production_dependencies and production_chains.

Rows are keyed by the catalog's key (``owner_id``): a user's id for their private catalog, or
``SHARED_CATALOG_OWNER`` for the shared catalog, whose rows are computed once for everyone. A
user without a private catalog reads the shared rows (``catalog_source``), with their overlay's
bought marks on top: those change the chains of the items built from a bought item, so a
follower who has marks gets their chain and dependency rows worked out from the shared graph
without the bought items (the same rows a private import of the same data would hold).

Dependencies and chains are recomputed when a new catalog version is recorded, only for the
items the version can have changed (``ProductionGraph.touched_by``: from the changed recipes
as they were before it, kept meanwhile in ``catalog_changed_recipes``), and only rows that
really differ are written, so a changed recipe changes exactly the chains that go through it
(and their ``catalog_version`` says when each last changed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    Float,
    Integer,
    String,
    Table,
    Uuid,
    func,
    literal,
    select,
    union_all,
)

from domain.catalog.catalog import (
    SHARED_CATALOG_ID,
    SHARED_CATALOG_OWNER,
    BoughtItemsMarked,
    CatalogItemsChanged,
    CatalogMovedToShared,
    CatalogRecipesChanged,
    CatalogVersionRecorded,
)
from domain.catalog.chains import CatalogSnapshot, ProductionGraph
from domain.catalog.invention import inventions
from domain.catalog.model import Decryptor, Item, OverlayContent, Recipe, RecipeChoice
from domain.catalog.overlay import (
    OverlayBoughtMarked,
    OverlayItemsChanged,
    OverlayRecipesChanged,
    OverlayRecipesChosen,
)
from domain.events import Event
from projections.owner_rows import OwnerRows, delete_owner_keys, delete_owners
from projections.readmodel import ReadModelTable, insert_rows, struct_cells
from projections.runtime import Projection, handles
from projections.types import UtcDateTime


def _item_columns() -> list[Column[Any]]:
    return [
        Column("owner_id", Uuid, primary_key=True),
        Column("type_id", BigInteger, primary_key=True),
        Column("name", String(255), nullable=False),
        Column("group_id", BigInteger),
        Column("group_name", String(255)),
        Column("category_id", BigInteger),
        Column("category_name", String(255)),
        Column("volume", Float),
        Column("portion_size", Integer, nullable=False),
        Column("market_group_id", BigInteger),
        Column("published", Boolean, nullable=False),
        Column("decryptor", JSON),  # an invention decryptor's effects
    ]


def _recipe_columns() -> list[Column[Any]]:
    return [
        Column("owner_id", Uuid, primary_key=True),
        Column("recipe_id", BigInteger, primary_key=True),
        Column("name", String(255)),
        Column("max_runs", Integer),
        Column("is_primary", Boolean, nullable=False),
        Column("body", JSON, nullable=False),  # the whole recipe, as imported
    ]


CATALOG_ITEMS = ReadModelTable("catalog_items", _item_columns)
CATALOG_RECIPES = ReadModelTable("catalog_recipes", _recipe_columns)
RECIPE_LINKS = ReadModelTable(
    "catalog_recipe_links",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("recipe_id", BigInteger, primary_key=True),
        Column("activity", String(24), primary_key=True),
        Column("role", String(8), primary_key=True),  # material | product | skill
        Column("type_id", BigInteger, primary_key=True),
        Column("quantity", BigInteger, nullable=False),
        Column("probability", Float),
    ],
    indexes=[("by_type", ["owner_id", "type_id", "role"], False)],
)
CATALOG_VERSIONS = ReadModelTable(
    "catalog_versions",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("catalog_version", Integer, primary_key=True),
        Column("game", String(64), nullable=False),
        Column("source", String(255), nullable=False),
        Column("content_hash", String(64), nullable=False),
        Column("summary", JSON, nullable=False),
        Column("recorded_at", UtcDateTime, nullable=False),
    ],
)
DEPENDENCIES = ReadModelTable(
    "production_dependencies",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("item_type_id", BigInteger, primary_key=True),
        Column("recipe_id", BigInteger, primary_key=True),
        Column("material_type_id", BigInteger, primary_key=True),
        Column("activity_id", Integer, nullable=False),
        Column("base_quantity", BigInteger, nullable=False),
        Column("units_per_run", BigInteger, nullable=False),
        Column("is_raw_material", Boolean, nullable=False),
        Column("catalog_version", Integer, nullable=False),
    ],
)
CHAINS = ReadModelTable(
    "production_chains",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("item_type_id", BigInteger, primary_key=True),
        Column("raw_material_type_id", BigInteger, primary_key=True),
        Column("base_quantity", Float, nullable=False),
        Column("chain_depth", Integer, nullable=False),
        Column("path", String(1000), nullable=False),
        Column("catalog_version", Integer, nullable=False),
    ],
)
BOUGHT = ReadModelTable(
    "catalog_bought",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("type_id", BigInteger, primary_key=True),
    ],
)
OVERLAY_BOUGHT = ReadModelTable(
    "catalog_overlay_bought",  # a follower of the shared catalog's marks (its overlay's)
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("type_id", BigInteger, primary_key=True),
    ],
)
# A user's own items and recipes (their overlay's, whichever catalog they read), and the recipes
# they chose: a few rows per user, read with every answer of theirs.
OWN_ITEMS = ReadModelTable("catalog_own_items", _item_columns)
OWN_RECIPES = ReadModelTable("catalog_own_recipes", _recipe_columns)
CHOICES = ReadModelTable(
    "catalog_recipe_choices",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("type_id", BigInteger, primary_key=True),
        Column("recipe_id", BigInteger, nullable=False),
    ],
)
# The recipes a catalog version changes, as they were before it (body null: none of that id),
# kept from its recipe events to its CatalogVersionRecorded: what tells which chains it changes.
CHANGED_RECIPES = ReadModelTable(
    "catalog_changed_recipes",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("recipe_id", BigInteger, primary_key=True),
        Column("body", JSON(none_as_null=True)),
    ],
)
# The rows worked out from the graph, read a few items' at a time (they are many).
_DERIVED = (DEPENDENCIES.name, CHAINS.name)
# Columns that say when a row last changed, not what it says.
_STAMP = "catalog_version"
# The private catalog's tables, emptied when its user moves onto the shared catalog.
_PRIVATE_TABLES = (
    CATALOG_ITEMS,
    CATALOG_RECIPES,
    RECIPE_LINKS,
    CATALOG_VERSIONS,
    DEPENDENCIES,
    CHAINS,
    BOUGHT,
    CHANGED_RECIPES,
)


def catalog_key(event: Event) -> UUID:
    """The read model key of a catalog event's rows: the shared catalog's well-known owner for
    its events (recorded by whichever admin imported), else the user's own id."""
    return SHARED_CATALOG_OWNER if event.originator_id == SHARED_CATALOG_ID else event.meta.user_id


class CatalogProjection(Projection):
    name = "catalog"
    # 2: chains and dependencies walk invention and copying to an invented item's copy
    # 3: the shared catalog (its own key) and its followers' overlays
    # 4: users' own items and recipes, and chosen recipes; a version recomputes only the
    #    chains it changes
    version = 4
    tables = (*_PRIVATE_TABLES, OVERLAY_BOUGHT, OWN_ITEMS, OWN_RECIPES, CHOICES)

    def apply(self, connection: Connection, tables: Mapping[str, Table], events: Sequence[Event]) -> None:
        batch = CatalogBatch(connection, tables)
        batch.read_ahead(events)
        for event in events:
            self.dispatch(event, batch)
        batch.write()

    @handles(CatalogItemsChanged)
    def _items_changed(self, batch: CatalogBatch, event: CatalogItemsChanged) -> None:
        owner = catalog_key(event)
        rows = [_item_row(owner, item) for item in event.upserted]
        _change_keyed(batch.rows["catalog_items"], owner, rows, event.removed)

    @handles(CatalogRecipesChanged)
    def _recipes_changed(self, batch: CatalogBatch, event: CatalogRecipesChanged) -> None:
        owner = catalog_key(event)
        keys = [recipe.recipe_id for recipe in event.upserted] + list(event.removed)
        batch.keep_earlier(owner, keys)
        rows = [{**_recipe_row(owner, recipe), PARSED: recipe} for recipe in event.upserted]
        _change_keyed(batch.rows["catalog_recipes"], owner, rows, event.removed)

    @handles(CatalogVersionRecorded)
    def _version_recorded(self, batch: CatalogBatch, event: CatalogVersionRecorded) -> None:
        summary, owner = event.summary, catalog_key(event)
        batch.rows["catalog_versions"].put(
            owner,
            {
                "owner_id": owner,
                "catalog_version": summary.catalog_version,
                "game": event.game,
                "source": event.source[:255],
                "content_hash": summary.content_hash,
                "summary": msgspec.to_builtins(summary),
                "recorded_at": event.timestamp,
            },
        )
        changed = batch.rows["catalog_changed_recipes"]
        earlier = [
            msgspec.convert(row["body"], Recipe) if row["body"] is not None else Recipe(recipe_id=row["recipe_id"])
            for row in changed.whole(batch.connection, owner).values()
        ]
        changed.clear(owner)
        batch.recompute(owner, summary.catalog_version, earlier)

    @handles(BoughtItemsMarked)
    def _bought_marked(self, batch: CatalogBatch, event: BoughtItemsMarked) -> None:
        owner, bought = _owner(event), batch.rows["catalog_bought"]
        earlier = {type_id for (type_id,) in bought.whole(batch.connection, owner)}
        bought.replace(owner, ({"owner_id": owner, "type_id": t} for t in event.type_ids))
        versions = batch.rows["catalog_versions"].whole(batch.connection, owner)
        version = max((number for (number,) in versions), default=0)
        batch.recompute(owner, version, (), earlier ^ set(event.type_ids))

    @handles(OverlayBoughtMarked)
    def _overlay_bought_marked(self, batch: CatalogBatch, event: OverlayBoughtMarked) -> None:
        """A follower's marks: kept apart from a private catalog's, and no rows recomputed (a
        follower's chains are worked out from the shared graph when asked)."""
        owner = event.meta.user_id
        rows = ({"owner_id": owner, "type_id": t} for t in event.type_ids)
        batch.rows["catalog_overlay_bought"].replace(owner, rows)

    @handles(OverlayItemsChanged)
    def _own_items_changed(self, batch: CatalogBatch, event: OverlayItemsChanged) -> None:
        owner = event.meta.user_id
        rows = [_item_row(owner, item) for item in event.upserted]
        _change_keyed(batch.rows["catalog_own_items"], owner, rows, event.removed)

    @handles(OverlayRecipesChanged)
    def _own_recipes_changed(self, batch: CatalogBatch, event: OverlayRecipesChanged) -> None:
        owner = event.meta.user_id
        rows = [_recipe_row(owner, recipe) for recipe in event.upserted]
        _change_keyed(batch.rows["catalog_own_recipes"], owner, rows, event.removed)

    @handles(OverlayRecipesChosen)
    def _recipes_chosen(self, batch: CatalogBatch, event: OverlayRecipesChosen) -> None:
        owner = event.meta.user_id
        rows = ({"owner_id": owner, "type_id": c.type_id, "recipe_id": c.recipe_id} for c in event.choices)
        batch.rows["catalog_recipe_choices"].replace(owner, rows)

    @handles(CatalogMovedToShared)
    def _moved_to_shared(self, batch: CatalogBatch, event: CatalogMovedToShared) -> None:
        """The private catalog's rows go: the user reads the shared ones from now on (its
        recipes' links go with its recipes)."""
        for table in _PRIVATE_TABLES:
            if table is not RECIPE_LINKS:
                batch.rows[table.name].clear(event.meta.user_id)


# A recipe row's Recipe, parsed once (not a column: ``insert_rows`` writes only the columns).
PARSED = "parsed"
# What each event reads of its owner's rows, and what else it writes (of each, the batch reads
# at its start, for all its owners at once, what is stored: all of it, or whether there is any).
_READS: dict[type[Event], tuple[str, ...]] = {
    CatalogRecipesChanged: ("catalog_recipes", "catalog_changed_recipes"),
    CatalogVersionRecorded: ("catalog_recipes", "catalog_changed_recipes", "catalog_bought"),
    BoughtItemsMarked: ("catalog_recipes", "catalog_bought", "catalog_versions"),
}
_WRITES: dict[type[Event], tuple[str, ...]] = {
    CatalogItemsChanged: ("catalog_items",),
    CatalogVersionRecorded: ("catalog_versions", *_DERIVED),
    BoughtItemsMarked: _DERIVED,
    OverlayBoughtMarked: ("catalog_overlay_bought",),
    OverlayItemsChanged: ("catalog_own_items",),
    OverlayRecipesChanged: ("catalog_own_recipes",),
    OverlayRecipesChosen: ("catalog_recipe_choices",),
}


def _owner(event: Event) -> UUID:
    """The key of the rows an event changes: bought marks are their user's own."""
    return event.meta.user_id if isinstance(event, BoughtItemsMarked) else catalog_key(event)


class CatalogBatch:
    """A batch of catalog events folded in memory (``projections.owner_rows``): every table's
    rows of the owners it touches, read once, changed by the handlers in log order, and
    written at its end; a recompute of chains reads the rows of the items it touched."""

    def __init__(self, connection: Connection, tables: Mapping[str, Table]) -> None:
        self.connection = connection
        self.tables = tables
        self.rows = {
            name: OwnerRows(table, "item_type_id" if name in _DERIVED else None)
            for name, table in tables.items()
            if name != RECIPE_LINKS.name  # follow the recipes (``write``)
        }

    def read_ahead(self, events: Sequence[Event]) -> None:
        """Read what the batch's events will read, one statement per table (and chunk of
        owners); of the other tables they write, which owners have rows at all (a key of an
        owner without any is written without deleting it first)."""
        reads: dict[str, set[UUID]] = {}
        writes: dict[str, set[UUID]] = {}
        for event in events:
            owner = _owner(event)
            for name in _READS.get(type(event), ()):
                reads.setdefault(name, set()).add(owner)
            for name in _WRITES.get(type(event), ()):
                writes.setdefault(name, set()).add(owner)
        for name, owners in reads.items():
            self.rows[name].load(self.connection, owners)
        for name, owners in writes.items():
            self.rows[name].note_empty(self.connection, owners)

    def keep_earlier(self, owner: UUID, keys: list[int]) -> None:
        """Keep the recipes ``keys`` as they are before the version being recorded changes them
        (a second change of one in the same version keeps the first's)."""
        recipes = self.rows["catalog_recipes"].whole(self.connection, owner)
        changed = self.rows["catalog_changed_recipes"]
        kept = changed.whole(self.connection, owner)
        for key in dict.fromkeys(keys):
            if (key,) not in kept:
                earlier = recipes.get((key,))
                body = earlier["body"] if earlier is not None else None
                changed.put(owner, {"owner_id": owner, "recipe_id": key, "body": body})

    def recompute(self, owner: UUID, version: int, earlier: Iterable[Recipe], bought: Iterable[int] = ()) -> None:
        """The dependency and chain rows of the items a change touched (``ProductionGraph.touched_by``:
        ``earlier``, the changed recipes as they were; ``bought``, the items whose mark changed),
        computed from the whole graph and changed where they differ."""
        recipes = [self.recipe(row) for row in self.rows["catalog_recipes"].whole(self.connection, owner).values()]
        marks = [type_id for (type_id,) in self.rows["catalog_bought"].whole(self.connection, owner)]
        graph = ProductionGraph.from_recipes(recipes, version, marks)
        dependency_items, chain_items = graph.touched_by(earlier, bought)
        products = set(graph.products())
        dependencies = _dependency_cells(graph, dependency_items & products)
        chains = _chain_cells(graph, chain_items & products)
        self._change(DEPENDENCIES.name, owner, _stamped(dependencies, owner, version), dependency_items)
        self._change(CHAINS.name, owner, _stamped(chains, owner, version), chain_items)

    @staticmethod
    def recipe(row: dict[str, Any]) -> Recipe:
        parsed = row.get(PARSED)
        if parsed is None:
            parsed = row[PARSED] = msgspec.convert(row["body"], Recipe)
        return parsed

    def _change(self, name: str, owner: UUID, rows: list[dict[str, Any]], items: Iterable[int]) -> None:
        """Make the owner's rows of ``items`` equal ``rows``, changing only the rows whose
        content differs (the others keep their ``catalog_version``)."""
        table = self.rows[name]
        current = table.some(self.connection, owner, set(items))
        content = [c for c in table.table.columns.keys() if c not in table.key and c not in ("owner_id", _STAMP)]
        wanted = {table.key_of(row): row for row in rows}
        for key in current.keys() - wanted.keys():
            table.remove(owner, key)
        for key, row in wanted.items():
            now = current.get(key)
            if now is None or any(now[column] != row[column] for column in content):
                table.put(owner, row)

    def write(self) -> None:
        """Each table's changes; a recipe's links are written again with it."""
        connection = self.connection
        for rows in self.rows.values():
            rows.write(connection)
        recipes, links = self.rows["catalog_recipes"], self.tables[RECIPE_LINKS.name]
        delete_owners(connection, links, recipes.cleared())
        delete_owner_keys(connection, links, ("recipe_id",), recipes.stale_keys())
        written = recipes.written().items()
        linked = [link for owner, some in written for link in _link_rows(owner, [self.recipe(row) for row in some])]
        insert_rows(connection, links, linked)


def _change_keyed(rows: OwnerRows, owner: UUID, upserted: list[dict[str, Any]], removed: Iterable[int]) -> None:
    """Rows replaced or added by key, and keys removed (a key both removed and upserted stays)."""
    for key in removed:
        rows.remove(owner, (key,))
    for row in upserted:
        rows.put(owner, row)


def _recompute_chains(
    connection: Connection,
    tables: Mapping[str, Table],
    owner: UUID,
    version: int,
    earlier: Iterable[Recipe],
    bought: Iterable[int] = (),
) -> None:
    """One recompute (``CatalogBatch.recompute``) written at once (``bench/catalog_versions.py``)."""
    batch = CatalogBatch(connection, tables)
    batch.recompute(owner, version, earlier, bought)
    batch.write()


def _dependency_cells(graph: ProductionGraph, products: Iterable[int]) -> list[dict[str, Any]]:
    """production_dependencies of ``products`` (without their key and stamp)."""
    return [
        {
            "item_type_id": product,
            "recipe_id": step.recipe_id,
            "material_type_id": material.type_id,
            "activity_id": step.kind.activity_id,
            "base_quantity": material.quantity,
            "units_per_run": step.units_per_run,
            "is_raw_material": not graph.alternatives(material.type_id),
        }
        for product in products
        for step in graph.alternatives(product)
        for material in step.inputs
    ]


def _chain_cells(graph: ProductionGraph, roots: Iterable[int] | None) -> list[dict[str, Any]]:
    """production_chains of ``roots`` (None: every buildable item), without key and stamp."""
    chains, _looping = graph.raw_chains(roots)
    return [
        {
            "item_type_id": item,
            "raw_material_type_id": raw,
            "base_quantity": float(link.base_quantity),
            "chain_depth": link.depth,
            "path": "->".join(str(step) for step in link.path)[:1000],
        }
        for item, links in chains.items()
        for raw, link in links.items()
    ]


def _stamped(cells: list[dict[str, Any]], owner: UUID, version: int) -> list[dict[str, Any]]:
    return [{"owner_id": owner, **row, _STAMP: version} for row in cells]


# Readers of one owner's rows, given the table: a generation's own tables while projecting
# (a rebuild reads what it has built so far), the views when answering queries.


def _current_version(connection: Connection, versions: Table, owner: UUID) -> int:
    query = select(func.max(versions.c.catalog_version)).where(versions.c.owner_id == owner)
    return connection.execute(query).scalar() or 0


def _recipes(connection: Connection, recipes: Table, owner: UUID) -> list[Recipe]:
    bodies = connection.execute(select(recipes.c.body).where(recipes.c.owner_id == owner)).scalars()
    return [msgspec.convert(body, Recipe) for body in bodies]


def _bought(connection: Connection, table: Table, owner: UUID) -> list[int]:
    return list(connection.execute(select(table.c.type_id).where(table.c.owner_id == owner)).scalars())


def _item_row(owner: UUID, item: Item) -> dict[str, Any]:
    return {"owner_id": owner, **struct_cells(item)}


def _recipe_row(owner: UUID, recipe: Recipe) -> dict[str, Any]:
    return {
        "owner_id": owner,
        "recipe_id": recipe.recipe_id,
        "name": recipe.name,
        "max_runs": recipe.max_runs,
        "is_primary": recipe.primary,
        "body": msgspec.to_builtins(recipe),
    }


def _link_rows(owner: UUID, recipes: Sequence[Recipe], only: tuple[int, str] | None = None) -> list[dict[str, Any]]:
    """catalog_recipe_links rows of ``recipes`` (``only``: those linking that type in that role)."""
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for recipe in recipes:
        for activity in recipe.activities:
            entries = [
                *(("material", m.type_id, m.quantity, None) for m in activity.materials),
                *(("product", p.type_id, p.quantity, p.probability) for p in activity.products),
                *(("skill", s.type_id, s.level, None) for s in activity.skills),
            ]
            for role, type_id, quantity, probability in entries:
                if only is not None and (type_id, role) != only:
                    continue
                key = (recipe.recipe_id, activity.kind.value, role, type_id)
                rows[key] = {
                    "owner_id": owner,
                    "recipe_id": recipe.recipe_id,
                    "activity": activity.kind.value,
                    "role": role,
                    "type_id": type_id,
                    "quantity": quantity,
                    "probability": probability,
                }
    return list(rows.values())


# ------------------------------------------------------------------- queries

S = TypeVar("S")


def _structs(rows: Iterable[Any], struct: type[S]) -> list[S]:
    """Rows as Structs, matched by column name (extra columns, like owner_id, are ignored)."""
    return [msgspec.convert(row, struct, from_attributes=True) for row in rows]


class CatalogSource(msgspec.Struct, frozen=True):
    """Where a user's catalog answers come from: the rows under ``key`` (their own id for a
    private catalog, else the shared catalog's) with their ``overlay`` on top."""

    key: UUID
    overlay: OverlayContent = OverlayContent()

    @property
    def shared(self) -> bool:
        return self.key == SHARED_CATALOG_OWNER

    @property
    def bought(self) -> tuple[int, ...]:
        return self.overlay.bought

    @property
    def computed(self) -> bool:
        """Whether the stored chain and dependency rows under ``key`` are not this user's: a
        follower's bought marks, or anyone's own recipes or chosen ones, change them; those
        rows are worked out from the user's graph when asked."""
        overlay = self.overlay
        return bool((self.shared and overlay.bought) or overlay.recipes or overlay.choices)


def catalog_source(connection: Connection, user: UUID) -> CatalogSource:
    versions = CATALOG_VERSIONS.view
    private = connection.execute(select(versions.c.owner_id).where(versions.c.owner_id == user).limit(1)).first()
    key, marks = (user, BOUGHT.view) if private is not None else (SHARED_CATALOG_OWNER, OVERLAY_BOUGHT.view)
    choices = CHOICES.view
    overlay = OverlayContent(
        items=tuple(_structs(_owned(connection, OWN_ITEMS.view, user), Item)),
        recipes=tuple(_recipes(connection, OWN_RECIPES.view, user)),
        choices=tuple(
            RecipeChoice(type_id=type_id, recipe_id=recipe_id)
            for type_id, recipe_id in connection.execute(
                select(choices.c.type_id, choices.c.recipe_id)
                .where(choices.c.owner_id == user)
                .order_by(choices.c.type_id)
            )
        ),
        bought=tuple(sorted(_bought(connection, marks, user))),
    )
    return CatalogSource(key, overlay)


def _owned(connection: Connection, table: Table, user: UUID) -> Iterable[Any]:
    return connection.execute(select(table).where(table.c.owner_id == user))


def catalog_key_of(user: Any) -> Any:
    """SQL: the catalog key whose rows ``user`` (a column or a value) reads, for joins that
    name a row's item (the user's private catalog if any, else the shared one)."""
    versions = CATALOG_VERSIONS.view
    private = select(versions.c.owner_id).where(versions.c.owner_id == user).limit(1).scalar_subquery()
    return func.coalesce(private, literal(SHARED_CATALOG_OWNER, Uuid))


def item_name(owner: Any, type_id: Any) -> Any:
    """SQL: the name of item ``type_id`` (a column or a value) for the user ``owner`` (a column
    or a value): their own item's, else that of the catalog they read; for queries that show
    a row's item by name."""
    own, items = OWN_ITEMS.view, CATALOG_ITEMS.view
    mine = select(own.c.name).where(own.c.owner_id == owner, own.c.type_id == type_id).scalar_subquery()
    catalog = (
        select(items.c.name)
        .where(items.c.owner_id == catalog_key_of(owner), items.c.type_id == type_id)
        .scalar_subquery()
    )
    return func.coalesce(mine, catalog)


def search_items(connection: Connection, user: UUID, text: str, limit: int, offset: int = 0) -> list[Item]:
    table, own = CATALOG_ITEMS.view, OWN_ITEMS.view
    catalog = select(table).where(
        table.c.owner_id == catalog_source(connection, user).key,
        table.c.type_id.not_in(select(own.c.type_id).where(own.c.owner_id == user)),
    )
    mine = select(own).where(own.c.owner_id == user)
    if text:
        pattern = f"%{_escape_like(text)}%"
        catalog = catalog.where(table.c.name.ilike(pattern, escape="\\"))
        mine = mine.where(own.c.name.ilike(pattern, escape="\\"))
    found = union_all(catalog, mine).subquery()
    rows = connection.execute(select(found).order_by(found.c.name, found.c.type_id).limit(limit).offset(offset))
    return _structs(rows, Item)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_item(connection: Connection, user: UUID, type_id: int) -> Item | None:
    """The user's own item of that id, else their catalog's."""
    for table, owner in ((OWN_ITEMS.view, user), (CATALOG_ITEMS.view, catalog_source(connection, user).key)):
        row = connection.execute(select(table).where(table.c.owner_id == owner, table.c.type_id == type_id)).first()
        if row is not None:
            return _structs([row], Item)[0]
    return None


def recipes_with(connection: Connection, user: UUID, type_id: int, role: str) -> list[Recipe]:
    """Recipes in which ``type_id`` is a product ("product") or a material ("material"): the
    user's own, and their catalog's they have not replaced."""
    links, recipes = RECIPE_LINKS.view, CATALOG_RECIPES.view
    source = catalog_source(connection, user)
    mine = {recipe.recipe_id: recipe for recipe in source.overlay.recipes}
    owner = source.key
    ids = select(links.c.recipe_id).where(links.c.owner_id == owner, links.c.type_id == type_id, links.c.role == role)
    rows = connection.execute(
        select(recipes.c.body)
        .where(recipes.c.owner_id == owner, recipes.c.recipe_id.in_(ids))
        .order_by(recipes.c.recipe_id)
    ).scalars()
    found = [recipe for recipe in (msgspec.convert(body, Recipe) for body in rows) if recipe.recipe_id not in mine]
    found += [recipe for recipe in mine.values() if _link_rows(owner, [recipe], (type_id, role))]
    return sorted(found, key=lambda recipe: recipe.recipe_id)


def all_recipes(connection: Connection, user: UUID) -> list[Recipe]:
    """The user's recipes: their catalog's, with their own on top."""
    source = catalog_source(connection, user)
    mine = {recipe.recipe_id: recipe for recipe in source.overlay.recipes}
    catalog = _recipes(connection, CATALOG_RECIPES.view, source.key)
    return [*(recipe for recipe in catalog if recipe.recipe_id not in mine), *mine.values()]


def catalog_snapshot(connection: Connection, user: UUID) -> CatalogSnapshot:
    """The user's production graph (tagged with the catalog version it was read at) through their
    overlay, item names and volumes, inventions and decryptors."""
    source = catalog_source(connection, user)
    return base_snapshot(connection, source.key).with_overlay(source.overlay)


def base_snapshot(connection: Connection, owner: UUID) -> CatalogSnapshot:
    """The catalog under ``owner`` (a key: a user's or the shared catalog's) before any
    user's overlay: what is kept in memory once per catalog, however many users read it."""
    version = _current_version(connection, CATALOG_VERSIONS.view, owner)
    items = CATALOG_ITEMS.view
    rows = connection.execute(
        select(items.c.type_id, items.c.name, items.c.volume, items.c.decryptor).where(items.c.owner_id == owner)
    )
    recipes = _recipes(connection, CATALOG_RECIPES.view, owner)
    graph = ProductionGraph.from_recipes(recipes, version)
    names: dict[int, str] = {}
    volumes: dict[int, float | None] = {}
    decryptors: dict[int, Decryptor] = {}
    for type_id, name, volume, decryptor in rows:
        names[type_id] = name
        volumes[type_id] = volume
        if decryptor is not None:
            decryptors[type_id] = msgspec.convert(decryptor, Decryptor)
    return CatalogSnapshot(graph, names, volumes, inventions(recipes), decryptors)


def bought_items(connection: Connection, user: UUID) -> list[int]:
    return list(catalog_source(connection, user).bought)


class VersionView(msgspec.Struct, frozen=True, kw_only=True):
    catalog_version: int
    game: str
    source: str
    content_hash: str
    summary: dict[str, Any]
    recorded_at: datetime


def catalog_versions(
    connection: Connection, user: UUID, limit: int, offset: int = 0, newest_first: bool = False
) -> list[VersionView]:
    """A page of the versions of the catalog the user reads (one per import that changed it),
    oldest first, or ``newest_first``."""
    table = CATALOG_VERSIONS.view
    order = table.c.catalog_version.desc() if newest_first else table.c.catalog_version
    query = select(table).where(table.c.owner_id == catalog_key_of(user)).order_by(order)
    return _structs(connection.execute(query.limit(limit).offset(offset)), VersionView)


class ChainRow(msgspec.Struct, frozen=True, kw_only=True):
    raw_material_type_id: int
    base_quantity: float
    chain_depth: int
    path: str
    catalog_version: int


def chain_rows(connection: Connection, user: UUID, type_id: int, graph: ProductionGraph) -> list[ChainRow]:
    """The item's production_chains rows; where the stored ones are not the user's
    (``CatalogSource.computed``), worked out from ``graph`` (the user's, from their snapshot:
    the catalog's graph through their overlay)."""
    source = catalog_source(connection, user)
    if source.computed:
        rows = sorted(_chain_cells(graph, [type_id]), key=lambda row: row["raw_material_type_id"])
        return [ChainRow(**row, catalog_version=graph.catalog_version) for row in _without_item(rows)]
    return _item_rows(connection, CHAINS.view, ChainRow, source.key, type_id, "raw_material_type_id")


class DependencyRow(msgspec.Struct, frozen=True, kw_only=True):
    recipe_id: int
    material_type_id: int
    activity_id: int
    base_quantity: int
    units_per_run: int
    is_raw_material: bool


def dependency_rows(connection: Connection, user: UUID, type_id: int, graph: ProductionGraph) -> list[DependencyRow]:
    """The item's production_dependencies rows; worked out from ``graph`` as ``chain_rows``
    does where the stored ones are not the user's."""
    source = catalog_source(connection, user)
    if source.computed:
        rows = sorted(_dependency_cells(graph, [type_id]), key=lambda row: (row["recipe_id"], row["material_type_id"]))
        return [DependencyRow(**row) for row in _without_item(rows)]
    return _item_rows(
        connection, DEPENDENCIES.view, DependencyRow, source.key, type_id, "recipe_id", "material_type_id"
    )


def _without_item(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in row.items() if key != "item_type_id"} for row in rows]


def _item_rows(
    connection: Connection, table: Table, struct: type[S], owner: UUID, type_id: int, *order: str
) -> list[S]:
    """One item's rows of a per-item table (chains, dependencies), as Structs."""
    query = select(table).where(table.c.owner_id == owner, table.c.item_type_id == type_id)
    return _structs(connection.execute(query.order_by(*(table.c[column] for column in order))), struct)
