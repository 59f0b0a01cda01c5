"""Response bodies of the catalog and chain routes (camelCase)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from application import catalog
from domain.catalog.chains import ChainNode, Jobs, StepPlan
from domain.catalog.model import Item, Recipe
from domain.limits import MAX_BATCH, GameId
from interfaces.http.bodies import CommandAccepted, Request, Response
from interfaces.http.wire import wire
from projections import catalog as catalog_views
from projections.catalog import ChainRow, DependencyRow


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
    type_id: int
    name: str
    quantity: int
    raw: bool
    recipe_id: int | None = None
    activity: str | None = None
    units_per_run: int | None = None
    children: list[TreeNodeOut] = []

    @classmethod
    def of(cls, root: ChainNode, names: dict[int, str]) -> TreeNodeOut:
        def convert(node: ChainNode, children: list[TreeNodeOut]) -> TreeNodeOut:
            return cls(
                type_id=node.type_id,
                name=names.get(node.type_id, ""),
                quantity=node.quantity,
                raw=node.recipe_id is None,
                recipe_id=node.recipe_id,
                activity=node.activity.value if node.activity else None,
                units_per_run=node.units_per_run,
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
    def of(cls, type_id: int, names: dict[int, str], rows: list[ChainRow]) -> ChainFlatOut:
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
    def of(cls, type_id: int, names: dict[int, str], rows: list[DependencyRow]) -> DirectOut:
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
    def of(cls, step: StepPlan, names: dict[int, str]) -> StepOut:
        fields = msgspec.structs.asdict(step)
        kind, jobs = fields.pop("kind"), fields.pop("jobs")
        return cls(name=names.get(step.type_id, ""), activity=kind.value, jobs=list(jobs), **fields)


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
