"""Query routes of the catalog, production chains (the spec's chain API) and invention.

Flat chains and direct dependencies are read from their projections; trees and bills of
materials walk the user's production graph, built once from the recipes and kept in memory
while the catalog projection has not moved, like the inventions and decryptors beside it."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Annotated, Any, Literal
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter, QueryParameter
from litestar.response import Response

from application.system import Manufactory
from domain.catalog.chains import DEFAULT_SETTINGS, BillOfMaterials, CatalogSnapshot, StepSettings
from domain.catalog.industry import Facility, Security, Skills, validate_levels
from domain.catalog.invention import (
    MAX_SKILL_LEVEL,
    Invention,
    InventionPolicy,
    InventionSkills,
    invention_options,
)
from domain.catalog.model import Decryptor, Item
from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.limits import INT64_MAX
from interfaces.http.catalog.schemas import (
    BillOut,
    BoughtList,
    ChainFlatOut,
    ChainTreeOut,
    ChoiceList,
    DirectOut,
    InventionOut,
    ItemList,
    MaterialLine,
    OwnList,
    RecipeList,
    StepOut,
    TreeNodeOut,
    VersionList,
    VersionView,
)
from interfaces.http.context import MinPosition, await_projection, query_projection, read_cached, read_model
from interfaces.http.paging import DEFAULT_PAGE, Limit, Offset, limit_parameter
from interfaces.http.shopping import (
    ChainShoppingListOut,
    FormatQuery,
    LocationQuery,
    RegionQuery,
    ShoppingListOperation,
    answer,
    held_at,
    shopping,
)
from projections.cache import ReadCache
from projections.catalog import (
    base_snapshot,
    bought_items,
    catalog_source,
    catalog_versions,
    chain_rows,
    dependency_rows,
    find_item,
    recipes_with,
    search_items,
)

PROJECTION = "catalog"
MAX_SEARCH = 100


MAX_QUERY_LIST = 4000  # characters of a comma-separated list parameter


ItemsLimit = Annotated[int, limit_parameter(default=50, maximum=1000)]


TypeIdPath = Annotated[int, PathParameter(description="An item's type id", ge=1, le=INT64_MAX)]


Choices = Annotated[str, QueryParameter(description="Recipe choices: typeId:recipeId,...", max_length=MAX_QUERY_LIST)]


Runs = Annotated[int, QueryParameter(ge=1, le=1_000_000)]
Me = Annotated[int, QueryParameter(description="ME of every step", ge=0, le=10)]
StepLevels = Annotated[
    str, QueryParameter(description="Per-step levels: typeId:me[:te],...", max_length=MAX_QUERY_LIST)
]
Buy = Annotated[str, QueryParameter(description="Items to buy instead of build: typeId,...", max_length=MAX_QUERY_LIST)]
StructureMaterialBonus = Annotated[float, QueryParameter(name="structureMaterialBonus", ge=0, le=0.5)]
RigMaterialBonus = Annotated[float, QueryParameter(name="rigMaterialBonus", ge=0, le=0.5)]
SecurityLevel = Annotated[Literal["high", "low", "null"], QueryParameter()]


Encryption = Annotated[
    int, QueryParameter(description="Level of the encryption skill the invention requires", ge=0, le=MAX_SKILL_LEVEL)
]


Science = Annotated[
    int, QueryParameter(description="Level of a science skill the invention requires", ge=0, le=MAX_SKILL_LEVEL)
]


InventionMode = Annotated[
    Literal["none", "expected", "confidence"],
    QueryParameter(
        description="Count invention: none (the Tech II copies taken as held), expected (attempts on "
        "expected value) or confidence (enough attempts to win the copies with the chance `confidence`)"
    ),
]


ChainConfidence = Annotated[
    float,
    QueryParameter(gt=0, lt=1, description="With invention=confidence: the chance the attempts win every copy needed"),
]


DecryptorChoice = Annotated[
    int | None,
    QueryParameter(
        ge=1, le=INT64_MAX, description="A decryptor of your catalog (type id) added to every invention of the chain"
    ),
]


async def user_catalog(
    system: Manufactory, catalog_cache: ReadCache[CatalogSnapshot], user_id: UUID, min_position: int | None
) -> CatalogSnapshot:
    """The user's catalog: the one they follow, kept in memory once per catalog (the shared
    one once for all its followers), seen through their overlay (bought marks, their own items
    and recipes, chosen recipes)."""
    floor = await await_projection(system, PROJECTION, min_position)
    source = await read_model(system, catalog_source, user_id)
    base = await read_cached(system, catalog_cache, source.key, floor, base_snapshot, source.key)
    return base.with_overlay(source.overlay)


def _invented(snapshot: CatalogSnapshot, type_id: int) -> Invention:
    invention = snapshot.inventions.get(type_id)
    if invention is not None:
        return invention
    if type_id not in snapshot.names:
        raise NotFound(f"item {type_id} is not in your catalog", "product_type_id")
    raise RuleViolation(f"no blueprint in your catalog invents item {type_id}", "product_type_id")


def _ids(text: str, field: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InvalidInput("must be comma-separated type ids", field) from None


def _pairs(text: str, field: str, arity: tuple[int, ...] = (2,)) -> dict[int, Any]:
    """``a:b,c:d`` -> {a: b, c: d} (or tuples of the values after the key, for ``arity`` > 2)."""
    found: dict[int, Any] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            numbers = [int(n) for n in part.split(":")]
        except ValueError:
            numbers = []
        if len(numbers) not in arity:
            raise InvalidInput(f"{part!r} is not typeId:{'value' if arity == (2,) else 'me[:te]'}", field)
        found[numbers[0]] = numbers[1] if arity == (2,) else tuple(numbers[1:])
    return found


class InventionAsked(msgspec.Struct, frozen=True, kw_only=True):
    """How a chain query asks invention to be counted (see ``invention_asked``)."""

    mode: Literal["none", "expected", "confidence"] = "none"
    confidence: float = 0.95
    inventor: InventionSkills = InventionSkills()
    decryptor: int | None = None


def invention_asked(
    invention: InventionMode = "none",
    confidence: ChainConfidence = 0.95,
    encryption: Encryption = MAX_SKILL_LEVEL,
    science1: Science = MAX_SKILL_LEVEL,
    science2: Science = MAX_SKILL_LEVEL,
    decryptor: DecryptorChoice = None,
) -> InventionAsked:
    """The ``invention_asked`` dependency of ``/materials`` and ``/shopping-list``: their six
    invention parameters, declared once."""
    return InventionAsked(
        mode=invention,
        confidence=confidence,
        inventor=InventionSkills(encryption=encryption, science1=science1, science2=science2),
        decryptor=decryptor,
    )


def _invention_policy(snapshot: CatalogSnapshot, asked: InventionAsked) -> InventionPolicy | None:
    """How a chain query counts invention: not at all (``none``: the Tech II copies are taken as
    held, as before invention was in the chains), or in whole attempts on expected value or at
    ``confidence``, with ``decryptor`` on every invention of the chain. A decryptor that would
    change nothing (no invention counted) or is not one of the catalog's is refused, not ignored."""
    mode, confidence, skills, decryptor = asked.mode, asked.confidence, asked.inventor, asked.decryptor
    if mode == "none":
        if decryptor is not None:
            raise InvalidInput("a decryptor needs invention=expected or invention=confidence", "decryptor")
        return None
    chosen: dict[int, tuple[int, Decryptor]] = {}
    if decryptor is not None:
        effects = snapshot.decryptors.get(decryptor)
        if effects is None:
            known = "is not a decryptor" if decryptor in snapshot.names else "is not"
            raise InvalidInput(f"item {decryptor} {known} in your catalog", "decryptor")
        chosen = {blueprint: (decryptor, effects) for blueprint in snapshot.graph.invented_blueprints()}
    return InventionPolicy(confidence=confidence if mode == "confidence" else None, skills=skills, decryptors=chosen)


def _bill(
    snapshot: CatalogSnapshot,
    type_id: int,
    runs: int,
    default: StepSettings,
    step: str,
    buy: str,
    recipe: str,
    on_hand: Mapping[int, int] | None = None,
    invention: InventionPolicy | None = None,
) -> BillOfMaterials:
    """The chain's bill of materials for ``runs`` runs, as the query parameters ask: every step
    at ``default``'s levels but those ``step`` names, ``buy``'s items bought, ``recipe``'s
    recipes chosen, intermediates ``on_hand`` used before any are built, invention counted as
    ``invention`` says (None: not at all)."""
    overrides = {}
    for item, levels in _pairs(step, "step", arity=(2, 3)).items():
        step_me, step_te = levels[0], levels[1] if len(levels) > 1 else 0
        validate_levels(step_me, step_te)
        overrides[item] = msgspec.structs.replace(default, me=step_me, te=step_te)
    return snapshot.graph.bill_of_materials(
        type_id,
        runs,
        default=default,
        overrides=overrides,
        bought=frozenset(_ids(buy, "buy")),
        choices=_pairs(recipe, "recipe"),
        on_hand=on_hand,
        invention=invention,
    )


class ChainSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How a chain's bill is worked out, as ``/materials`` and ``/shopping-list`` are asked:
    the API's routes and the console's chains page read the same bill through it."""

    runs: int = 1
    default: StepSettings = DEFAULT_SETTINGS  # every step's levels, facility and skills
    step: str = ""  # per-step levels: typeId:me[:te],...
    buy: str = ""  # items bought instead of built: typeId,...
    recipe: str = ""  # recipe choices: typeId:recipeId,...
    invention: InventionAsked = InventionAsked()


def chain_tree(snapshot: CatalogSnapshot, type_id: int, recipe: str = "") -> ChainTreeOut:
    """The chain to raw materials as a tree (``recipe`` choosing among alternatives)."""
    tree = snapshot.graph.tree(type_id, _pairs(recipe, "recipe"))
    return ChainTreeOut(
        type_id=type_id,
        name=snapshot.names.get(type_id, ""),
        catalog_version=snapshot.graph.catalog_version,
        tree=TreeNodeOut.of(tree, snapshot.names),
    )


async def buildable_catalog(
    system: Manufactory,
    catalog_cache: ReadCache[CatalogSnapshot],
    user_id: UUID,
    type_id: int,
    min_position: int | None,
) -> CatalogSnapshot:
    """The user's catalog snapshot, once it is known that some recipe builds ``type_id``."""
    snapshot = await user_catalog(system, catalog_cache, user_id, min_position)
    if snapshot.graph.alternatives(type_id):
        return snapshot
    if type_id not in snapshot.names:
        raise NotFound(f"item {type_id} is not in your catalog", "type_id")
    raise NotFound(f"no recipe in your catalog builds item {type_id}", "type_id")


async def chain_materials(
    system: Manufactory,
    catalog_cache: ReadCache[CatalogSnapshot],
    user_id: UUID,
    type_id: int,
    chain: ChainSettings,
    min_position: int | None,
) -> BillOut:
    """The flattened bill of ``chain.runs`` runs (what ``/materials`` answers)."""
    snapshot = await buildable_catalog(system, catalog_cache, user_id, type_id, min_position)
    policy = _invention_policy(snapshot, chain.invention)
    bill = _bill(snapshot, type_id, chain.runs, chain.default, chain.step, chain.buy, chain.recipe, invention=policy)
    names = snapshot.names
    return BillOut(
        type_id=type_id,
        name=names.get(type_id, ""),
        catalog_version=snapshot.graph.catalog_version,
        runs=chain.runs,
        materials=[MaterialLine(type_id=t, name=names.get(t, ""), quantity=q) for t, q in sorted(bill.raw.items())],
        bought=[MaterialLine(type_id=t, name=names.get(t, ""), quantity=q) for t, q in sorted(bill.bought.items())],
        steps=[StepOut.of(s, names) for s in bill.steps],
    )


async def chain_shopping_list(
    system: Manufactory,
    catalog_cache: ReadCache[CatalogSnapshot],
    user_id: UUID,
    type_id: int,
    chain: ChainSettings,
    location_id: int | None,
    region_id: int | None,
    min_position: int | None,
) -> ChainShoppingListOut:
    """What to buy for ``chain.runs`` runs, less what is held at ``location_id``, priced in
    ``region_id`` (what ``/shopping-list`` answers, in any format)."""
    snapshot = await buildable_catalog(system, catalog_cache, user_id, type_id, min_position)
    policy = _invention_policy(snapshot, chain.invention)
    held = await held_at(system, user_id, location_id, min_position)
    bill = _bill(
        snapshot,
        type_id,
        chain.runs,
        chain.default,
        chain.step,
        chain.buy,
        chain.recipe,
        on_hand=held,
        invention=policy,
    )
    found = await shopping(system, user_id, {**bill.raw, **bill.bought}, snapshot, held, region_id, min_position)
    return ChainShoppingListOut(
        type_id=type_id,
        name=snapshot.names.get(type_id, ""),
        runs=chain.runs,
        catalog_version=snapshot.graph.catalog_version,
        location_id=location_id,
        region_id=region_id,
        lines=list(found.lines),
        totals=found.totals,
        missing=list(found.missing),
    )


class CatalogQueries(Controller):
    @get("/v1/catalog/items", tags=["queries"])
    async def get_items(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        search: Annotated[str, QueryParameter(description="Part of the name, any case", max_length=MAX_SEARCH)] = "",
        limit: ItemsLimit = 50,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> ItemList:
        items = await query_projection(
            system, PROJECTION, min_position, search_items, user_id, search.strip(), limit, offset
        )
        return ItemList(items=items)

    @get("/v1/catalog/items/{type_id:int}", tags=["queries"])
    async def get_item(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        type_id: TypeIdPath,
        min_position: MinPosition = None,
    ) -> Item:
        item = await query_projection(system, PROJECTION, min_position, find_item, user_id, type_id)
        if item is None:
            raise NotFound(f"item {type_id} is not in your catalog", "type_id")
        return item

    @get("/v1/catalog/items/{type_id:int}/recipes", tags=["queries"])
    async def get_item_recipes(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        type_id: TypeIdPath,
        role: Annotated[Literal["producing", "using"], QueryParameter(description="Recipes making it, or using it")] = (
            "producing"
        ),
        min_position: MinPosition = None,
    ) -> RecipeList:
        link_role = "product" if role == "producing" else "material"
        recipes = await query_projection(system, PROJECTION, min_position, recipes_with, user_id, type_id, link_role)
        return RecipeList(recipes=recipes)

    @get("/v1/catalog/versions", tags=["queries"])
    async def get_versions(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> VersionList:
        """The versions of the catalog you read (one per import that changed it), oldest first."""
        versions = await query_projection(system, PROJECTION, min_position, catalog_versions, user_id, limit, offset)
        return VersionList(versions=msgspec.convert(versions, list[VersionView], from_attributes=True))

    @get("/v1/catalog/bought", tags=["queries"])
    async def get_bought(
        self, system: NamedDependency[Manufactory], user_id: NamedDependency[UUID], min_position: MinPosition = None
    ) -> BoughtList:
        """The items you buy rather than build."""
        return BoughtList(type_ids=await query_projection(system, PROJECTION, min_position, bought_items, user_id))

    @get("/v1/catalog/own", tags=["queries"])
    async def get_own(
        self, system: NamedDependency[Manufactory], user_id: NamedDependency[UUID], min_position: MinPosition = None
    ) -> OwnList:
        """The items and recipes of your own (``POST /v1/catalog/own``)."""
        source = await query_projection(system, PROJECTION, min_position, catalog_source, user_id)
        own = source.overlay
        by_id = sorted(own.items, key=lambda item: item.type_id)
        return OwnList(items=by_id, recipes=sorted(own.recipes, key=lambda recipe: recipe.recipe_id))

    @get("/v1/catalog/choices", tags=["queries"])
    async def get_choices(
        self, system: NamedDependency[Manufactory], user_id: NamedDependency[UUID], min_position: MinPosition = None
    ) -> ChoiceList:
        """The recipes you chose for items several recipes build (``PUT /v1/catalog/choices``)."""
        source = await query_projection(system, PROJECTION, min_position, catalog_source, user_id)
        return ChoiceList(choices=list(source.overlay.choices))

    @get("/v1/production/chains/{type_id:int}", tags=["queries"])
    async def get_chain(
        self,
        system: NamedDependency[Manufactory],
        catalog_cache: NamedDependency[ReadCache[CatalogSnapshot]],
        user_id: NamedDependency[UUID],
        type_id: TypeIdPath,
        format: Annotated[Literal["tree", "flat"], QueryParameter()] = "tree",
        recipe: Choices = "",
        min_position: MinPosition = None,
    ) -> ChainTreeOut | ChainFlatOut:
        """The complete chain to raw materials: a tree, or the flat production_chains rows. A
        chain that loops is a 422 naming the loop's items in either format (the flat rows of a
        looping item are empty, which would read as "needs nothing").

        Invented items (Tech II) go down to their blueprints: the item's manufacturing node has
        its Tech II blueprint copy as a child (one copy run per run), made by an ``invention``
        node (``probability``: the base chance of an attempt, the only nodes with one;
        ``unitsPerRun``: the runs a won copy has) from the datacores and one run of the Tech I
        blueprint copy, itself made by a ``copying`` node. The flat rows count invention on
        expectation at skills V and no decryptor: a datacore per attempt is ``1 / (runs per
        copy × chance)`` per run of the item (the Hobgoblin II's: 1 / (10 × 0.4958333))."""
        snapshot = await buildable_catalog(system, catalog_cache, user_id, type_id, min_position)
        if format == "flat":
            snapshot.graph.order(type_id)  # raises ChainCycle, as the tree and /materials do
            rows = await query_projection(
                system, PROJECTION, min_position, chain_rows, user_id, type_id, snapshot.graph
            )
            return ChainFlatOut.of(type_id, snapshot.names, rows)
        return chain_tree(snapshot, type_id, recipe)

    @get(
        "/v1/production/chains/{type_id:int}/materials",
        tags=["queries"],
        dependencies={"invention_asked": Provide(invention_asked, sync_to_thread=False)},
    )
    async def get_materials(
        self,
        system: NamedDependency[Manufactory],
        catalog_cache: NamedDependency[ReadCache[CatalogSnapshot]],
        user_id: NamedDependency[UUID],
        type_id: TypeIdPath,
        invention_asked: NamedDependency[InventionAsked],
        runs: Runs = 1,
        me: Me = 0,
        te: Annotated[int, QueryParameter(description="TE of every step", ge=0, le=20)] = 0,
        step: StepLevels = "",
        buy: Buy = "",
        recipe: Choices = "",
        structure_material_bonus: StructureMaterialBonus = 0.0,
        rig_material_bonus: RigMaterialBonus = 0.0,
        structure_time_bonus: Annotated[float, QueryParameter(name="structureTimeBonus", ge=0, le=0.5)] = 0.0,
        rig_time_bonus: Annotated[float, QueryParameter(name="rigTimeBonus", ge=0, le=0.5)] = 0.0,
        industry: Annotated[int, QueryParameter(ge=0, le=5, description="Industry skill level")] = 0,
        advanced_industry: Annotated[int, QueryParameter(name="advancedIndustry", ge=0, le=5)] = 0,
        reactions: Annotated[int, QueryParameter(ge=0, le=5, description="Reactions skill level")] = 0,
        science: Annotated[
            str, QueryParameter(description="Science skill levels: skillTypeId:level,...", max_length=MAX_QUERY_LIST)
        ] = "",
        security: SecurityLevel = "high",
        min_position: MinPosition = None,
    ) -> BillOut:
        """The flattened bill for ``runs`` runs: raw materials with ME applied per job,
        intermediates in whole runs (leftovers reported), and the build steps deepest first
        (``/shopping-list`` lists the same raw materials as a list to buy).

        Invention (``invention=expected|confidence``; the default ``none`` takes every Tech II
        blueprint copy as held): each invented item's manufacturing then needs one run of its
        Tech II copy per run, at the invented copy's ME and TE (2 and 4, plus the decryptor's
        modifiers), not at ``me`` and ``te``, which set the other steps (``step`` still
        overrides both). The copies are won by an ``invention`` step whose
        ``runs`` are whole attempts, enough for the copies on expected value (``ceil(copies /
        chance)``) or, with ``confidence``, the fewest attempts that win them all with that
        chance; ``produced`` counts the copies' runs they are counted on to deliver. The chance
        is ``base × (1 + (science1 + science2)/30 + encryption/40) × decryptor multiplier``
        (skills 0-5, default 5). Each attempt consumes the datacores and the ``decryptor`` (one
        of your catalog's, used on every invention in the chain), listed with the materials and
        never reduced by ME, and one run of a Tech I copy, made by a ``copying`` step (copies
        are not materials: nothing is bought for them)."""
        validate_levels(me, te)
        facility = Facility(
            structure_material_bonus=structure_material_bonus,
            rig_material_bonus=rig_material_bonus,
            structure_time_bonus=structure_time_bonus,
            rig_time_bonus=rig_time_bonus,
            security=Security(security),
        )
        science_levels = _pairs(science, "science")
        if any(not 0 <= level <= 5 for level in science_levels.values()):
            raise InvalidInput("skill levels are 0 to 5", "science")
        skills = Skills(
            industry=industry, advanced_industry=advanced_industry, reactions=reactions, science=science_levels
        )
        default = StepSettings(me=me, te=te, facility=facility, skills=skills)
        chain = ChainSettings(runs=runs, default=default, step=step, buy=buy, recipe=recipe, invention=invention_asked)
        return await chain_materials(system, catalog_cache, user_id, type_id, chain, min_position)

    @get(
        "/v1/production/chains/{type_id:int}/shopping-list",
        tags=["queries"],
        operation_class=ShoppingListOperation,
        dependencies={"invention_asked": Provide(invention_asked, sync_to_thread=False)},
    )
    async def get_shopping_list(
        self,
        system: NamedDependency[Manufactory],
        catalog_cache: NamedDependency[ReadCache[CatalogSnapshot]],
        user_id: NamedDependency[UUID],
        type_id: TypeIdPath,
        invention_asked: NamedDependency[InventionAsked],
        runs: Runs = 1,
        me: Me = 0,
        step: StepLevels = "",
        buy: Buy = "",
        recipe: Choices = "",
        structure_material_bonus: StructureMaterialBonus = 0.0,
        rig_material_bonus: RigMaterialBonus = 0.0,
        security: SecurityLevel = "high",
        format: FormatQuery = "json",
        location_id: LocationQuery = None,
        region_id: RegionQuery = None,
        min_position: MinPosition = None,
    ) -> Response[ChainShoppingListOut]:
        """What to buy for ``runs`` runs: the raw materials of ``/materials`` (ME applied per
        job, rounded as the game does) and the items ``buy`` names. With ``locationId``, the
        intermediates held there are used before any are built and the materials held there
        are subtracted: only what is still missing is listed. Each line has its volume and,
        with ``region_id``, its cost at the lowest sell; what is unknown is in ``missing``.

        ``invention``, ``confidence``, the skills and ``decryptor`` count invention as on
        ``/materials``: the datacores and decryptors the attempts consume are then on the list;
        the blueprint copies never are (they are copied and invented, not bought)."""
        validate_levels(me, 0)
        facility = Facility(
            structure_material_bonus=structure_material_bonus,
            rig_material_bonus=rig_material_bonus,
            security=Security(security),
        )
        chain = ChainSettings(
            runs=runs,
            default=StepSettings(me=me, facility=facility),
            step=step,
            buy=buy,
            recipe=recipe,
            invention=invention_asked,
        )
        body = await chain_shopping_list(
            system, catalog_cache, user_id, type_id, chain, location_id, region_id, min_position
        )
        return answer(body, format)

    @get("/v1/production/chains/{type_id:int}/direct", tags=["queries"])
    async def get_direct(
        self,
        system: NamedDependency[Manufactory],
        catalog_cache: NamedDependency[ReadCache[CatalogSnapshot]],
        user_id: NamedDependency[UUID],
        type_id: TypeIdPath,
        min_position: MinPosition = None,
    ) -> DirectOut:
        """Direct dependencies only (the spec's production_dependencies), for every recipe.
        An invented item lists its Tech II blueprint copy (one run per run, not raw); the Tech
        II blueprint lists what an invention attempt takes (``activityId`` 8: the datacores and
        the Tech I blueprint copy, ``unitsPerRun`` the runs a won copy has); the Tech I
        blueprint lists its copying (``activityId`` 5) inputs, if copying takes any."""
        snapshot = await buildable_catalog(system, catalog_cache, user_id, type_id, min_position)
        rows = await query_projection(
            system, PROJECTION, min_position, dependency_rows, user_id, type_id, snapshot.graph
        )
        return DirectOut.of(type_id, snapshot.names, rows)

    @get("/v1/production/invention/{product_type_id:int}", tags=["queries"])
    async def get_invention(
        self,
        system: NamedDependency[Manufactory],
        catalog_cache: NamedDependency[ReadCache[CatalogSnapshot]],
        user_id: NamedDependency[UUID],
        product_type_id: Annotated[int, PathParameter(description="The Tech II item's type id", ge=1, le=INT64_MAX)],
        encryption: Encryption = MAX_SKILL_LEVEL,
        science1: Science = MAX_SKILL_LEVEL,
        science2: Science = MAX_SKILL_LEVEL,
        confidence: Annotated[
            float, QueryParameter(gt=0, lt=1, description="Chance that attemptsForConfidence succeed at least once")
        ] = 0.95,
        region_id: Annotated[
            int | None, QueryParameter(ge=1, le=INT64_MAX, description="Price the options in this market region")
        ] = None,
        min_position: MinPosition = None,
    ) -> InventionOut:
        """How to invent a Tech II item: one option per decryptor choice (none first, then each
        decryptor of your catalog) with its chance, the invented copy's runs, ME and TE, what each
        attempt consumes, and the attempts to expect and to plan for the ``confidence`` asked.
        With ``region_id``: each option's cost per attempt, per copy and per unit of the item
        (bought at the lowest sell, jobs at the region's job site), and the cheapest per unit."""
        snapshot = await user_catalog(system, catalog_cache, user_id, min_position)
        invention = _invented(snapshot, product_type_id)
        skills = InventionSkills(encryption=encryption, science1=science1, science2=science2)
        options = invention_options(invention, snapshot.decryptors, skills, confidence)
        pricing = None
        if region_id is not None:
            await await_projection(system, "market", min_position)
            price = partial(system.read_economics.invention_costs, user_id, region_id, invention, options)
            pricing = await anyio.to_thread.run_sync(price)
        return InventionOut.of(
            invention,
            options,
            skills,
            confidence,
            snapshot.names,
            snapshot.graph.catalog_version,
            region_id=region_id,
            pricing=pricing,
        )
