"""Response bodies of the catalog and chain routes (camelCase)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

import msgspec

from application import catalog
from domain.catalog import chains
from domain.catalog.chains import ChainNode, StepPlan
from domain.catalog.invention import Invention, InventionOption, InventionSkills
from domain.catalog.model import Item, Material, Recipe, RecipeChoice
from domain.economics.invention import InventionCosts, cheapest
from domain.economics.market import Missing
from domain.limits import MAX_BATCH, MAX_SMALL_LIST, GameId
from interfaces.http.bodies import CommandAccepted, Request, Response
from interfaces.http.wire import wire
from projections import catalog as catalog_views
from projections.catalog import ChainRow, DependencyRow
from projections.economics_service import InventionPricing


@wire
class ImportResult(catalog.ImportResult, frozen=True):
    pass


class ItemList(Response):
    items: list[Item]


class RecipeList(Response):
    recipes: list[Recipe]


@wire
class VersionView(catalog_views.VersionView, frozen=True):
    pass


class VersionList(Response):
    versions: list[VersionView]


class TreeNodeOut(Response):
    """One item of a chain tree, ``quantity`` per run of its parent. ``activity`` says how it is
    made: ``copying`` for a Tech I blueprint copy, ``invention`` for a Tech II copy, whose
    ``probability`` is the base chance of one attempt (null on every other step: they do not
    depend on chance) and whose ``unitsPerRun`` are the runs a won copy has."""

    type_id: int
    name: str
    quantity: int
    raw: bool
    recipe_id: int | None = None
    activity: str | None = None
    units_per_run: int | None = None
    probability: float | None = None
    children: list[TreeNodeOut] = []

    @classmethod
    def of(cls, root: ChainNode, names: Mapping[int, str]) -> TreeNodeOut:
        def convert(node: ChainNode, children: list[TreeNodeOut]) -> TreeNodeOut:
            return cls(
                type_id=node.type_id,
                name=names.get(node.type_id, ""),
                quantity=node.quantity,
                raw=node.recipe_id is None,
                recipe_id=node.recipe_id,
                activity=node.activity.value if node.activity else None,
                units_per_run=node.units_per_run,
                probability=node.probability,
                children=children,
            )

        # post-order without recursion: children are converted before their parent
        done: dict[int, TreeNodeOut] = {}
        stack: list[tuple[ChainNode, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                done[id(node)] = convert(node, [done.pop(id(child)) for child in node.children])
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in node.children)
        return done[id(root)]


class ChainTreeOut(Response):
    type_id: int
    name: str
    catalog_version: int
    tree: TreeNodeOut


class ChainMaterialOut(Response):
    raw_material_type_id: int
    name: str
    base_quantity: float
    chain_depth: int
    path: str
    catalog_version: int


class ChainFlatOut(Response):
    type_id: int
    name: str
    materials: list[ChainMaterialOut]

    @classmethod
    def of(cls, type_id: int, names: Mapping[int, str], rows: list[ChainRow]) -> ChainFlatOut:
        return cls(
            type_id=type_id,
            name=names.get(type_id, ""),
            materials=[
                ChainMaterialOut(name=names.get(row.raw_material_type_id, ""), **msgspec.structs.asdict(row))
                for row in rows
            ],
        )


class DependencyOut(Response):
    material_type_id: int
    name: str
    base_quantity: int
    activity_id: int
    recipe_id: int
    units_per_run: int
    is_raw_material: bool


class DirectOut(Response):
    type_id: int
    name: str
    dependencies: list[DependencyOut]

    @classmethod
    def of(cls, type_id: int, names: Mapping[int, str], rows: list[DependencyRow]) -> DirectOut:
        return cls(
            type_id=type_id,
            name=names.get(type_id, ""),
            dependencies=[
                DependencyOut(name=names.get(row.material_type_id, ""), **msgspec.structs.asdict(row)) for row in rows
            ],
        )


class MaterialLine(Response):
    type_id: int
    name: str
    quantity: int

    @classmethod
    def of(cls, material: Material, names: Mapping[int, str]) -> MaterialLine:
        return cls(type_id=material.type_id, name=names.get(material.type_id, ""), quantity=material.quantity)


@wire
class Jobs(chains.Jobs, frozen=True):
    pass


class StepOut(Response):
    type_id: int
    name: str
    recipe_id: int
    activity: str
    runs: int
    jobs: list[Jobs]
    produced: int
    needed: int
    leftover: int
    me: int
    depth: int

    @classmethod
    def of(cls, step: StepPlan, names: Mapping[int, str]) -> StepOut:
        fields = msgspec.structs.asdict(step)
        kind, jobs = fields.pop("kind"), fields.pop("jobs")
        jobs = msgspec.convert(jobs, list[Jobs], from_attributes=True)
        return cls(name=names.get(step.type_id, ""), activity=kind.value, jobs=jobs, **fields)


class BillOut(Response):
    type_id: int
    name: str
    catalog_version: int
    runs: int
    materials: list[MaterialLine]
    bought: list[MaterialLine]
    steps: list[StepOut]


class BoughtItems(Request):
    type_ids: Annotated[list[GameId], msgspec.Meta(max_length=MAX_BATCH)]


class BoughtMarked(CommandAccepted):
    type_ids: list[int]


class BoughtList(Response):
    type_ids: list[int]


class OwnCatalog(Request):
    """Items and recipes of your own, in the catalog format (validated as an import's are)."""

    items: Annotated[list[Item], msgspec.Meta(max_length=MAX_SMALL_LIST)] = []
    recipes: Annotated[list[Recipe], msgspec.Meta(max_length=MAX_SMALL_LIST)] = []


class OwnList(Response):
    items: list[Item]
    recipes: list[Recipe]


class OwnChanged(CommandAccepted):
    """The ids of every item and recipe of your own, after the change."""

    item_ids: list[int]
    recipe_ids: list[int]


class RecipeChoices(Request):
    choices: Annotated[list[RecipeChoice], msgspec.Meta(max_length=MAX_SMALL_LIST)]


class ChoiceList(Response):
    choices: list[RecipeChoice]


class ChoicesMade(CommandAccepted):
    choices: list[RecipeChoice]


class InventionOptionOut(Response):
    """One decryptor choice (``decryptorTypeId`` null: none). Costs need ``region_id`` and its
    prices; they are null where a price they need is missing."""

    decryptor_type_id: int | None
    decryptor_name: str | None
    probability: float
    runs_per_copy: int
    me: int
    te: int
    materials_per_attempt: list[MaterialLine]  # the datacores, the decryptor and the Tech I copy
    attempts_expected: float
    attempts_for_confidence: int
    cost_per_attempt: float | None = None
    cost_per_copy: float | None = None
    cost_per_unit: float | None = None  # of the Tech II item: the copy and its manufacturing included

    @classmethod
    def of(cls, option: InventionOption, costs: InventionCosts | None, names: Mapping[int, str]) -> InventionOptionOut:
        decryptor = option.decryptor_type_id
        return cls(
            decryptor_type_id=decryptor,
            decryptor_name=names.get(decryptor) if decryptor is not None else None,
            probability=option.probability,
            runs_per_copy=option.runs_per_copy,
            me=option.me,
            te=option.te,
            materials_per_attempt=[MaterialLine.of(material, names) for material in option.materials],
            attempts_expected=option.attempts_expected,
            attempts_for_confidence=option.attempts_for_confidence,
            cost_per_attempt=costs.per_attempt.value if costs else None,
            cost_per_copy=costs.per_copy.value if costs else None,
            cost_per_unit=costs.per_unit.value if costs else None,
        )


class InventionBestOut(Response):
    decryptor_type_id: int | None  # null: inventing without a decryptor is the cheapest
    cost_per_unit: float


class InventionOut(Response):
    product_type_id: int
    name: str
    catalog_version: int
    blueprint_type_id: int  # the Tech I blueprint, copied and invented from
    invented_blueprint_type_id: int  # the Tech II blueprint of the copy a success delivers
    base_probability: float
    base_runs_per_copy: int
    seconds_per_attempt: int
    skills: InventionSkills
    confidence: float
    options: list[InventionOptionOut]  # no decryptor first, then each decryptor of the catalog
    region_id: int | None = None
    best: InventionBestOut | None = None  # the cheapest per unit; null without prices
    as_of: datetime | None = None  # the oldest price behind the costs
    missing: list[Missing] = []

    @classmethod
    def of(
        cls,
        invention: Invention,
        options: tuple[InventionOption, ...],
        skills: InventionSkills,
        confidence: float,
        names: Mapping[int, str],
        catalog_version: int,
        region_id: int | None = None,
        pricing: InventionPricing | None = None,
    ) -> InventionOut:
        costs: tuple[InventionCosts | None, ...] = pricing.costs if pricing else (None,) * len(options)
        best = cheapest(pricing.costs) if pricing else None
        times = [cost.per_unit.as_of for cost in costs if cost is not None and cost.per_unit.as_of is not None]
        return cls(
            product_type_id=invention.product_type_id,
            name=names.get(invention.product_type_id, ""),
            catalog_version=catalog_version,
            blueprint_type_id=invention.blueprint_id,
            invented_blueprint_type_id=invention.invented_blueprint_id,
            base_probability=invention.base_probability,
            base_runs_per_copy=invention.base_runs,
            seconds_per_attempt=invention.time,
            skills=skills,
            confidence=confidence,
            options=[InventionOptionOut.of(option, cost, names) for option, cost in zip(options, costs, strict=True)],
            region_id=region_id,
            best=InventionBestOut(decryptor_type_id=best.decryptor_type_id, cost_per_unit=best.per_unit.value)
            if best is not None and best.per_unit.value is not None
            else None,
            as_of=min(times) if times else None,
            missing=list(pricing.missing) if pricing else [],
        )
