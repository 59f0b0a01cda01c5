"""The chains and shopping page: find an item by name (``search_items``: what ``GET
/v1/catalog/items?search=`` answers), then its production chain as a tree of collapsible
steps, its materials for the runs and ME asked with the structure's and rigs' bonuses, and its
shopping list with the game's multibuy text to copy in one click.

The chain reads through the API's own functions (``chain_tree``, ``chain_materials``,
``chain_shopping_list``, ``as_multibuy``: what ``GET /v1/production/chains/{typeId}``,
``.../materials`` and ``.../shopping-list?format=multibuy`` answer), with the settings the form
names as those queries name their parameters; a refused value shows next to its input.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Template

from application.system import Manufactory
from domain.catalog.chains import CatalogSnapshot, StepSettings
from domain.catalog.industry import Facility, Security
from domain.errors import DomainError
from interfaces.http.catalog.queries import (
    MAX_SEARCH,
    ChainSettings,
    Me,
    RigMaterialBonus,
    Runs,
    SecurityLevel,
    StructureMaterialBonus,
    buildable_catalog,
    chain_materials,
    chain_shopping_list,
    chain_tree,
)
from interfaces.http.catalog.schemas import BillOut, ChainTreeOut
from interfaces.http.context import query_projection
from interfaces.http.shopping import ChainShoppingListOut, as_multibuy
from interfaces.web.acting import Refusal, refusal_of
from interfaces.web.asked import QueryReader
from interfaces.web.pages import ConsoleController, form_page, page
from projections.cache import ReadCache
from projections.catalog import search_items
from projections.users import TokenHolder

TypeId = Annotated[int, PathParameter(description="The item's type id", ge=1)]
FOUND = 50  # items a search lists
# The settings, read as ``/materials`` and ``/shopping-list`` read their parameters of these names.
SETTINGS = QueryReader(
    runs=(Runs, 1),
    me=(Me, 0),
    structureMaterialBonus=(StructureMaterialBonus, 0.0),
    rigMaterialBonus=(RigMaterialBonus, 0.0),
    security=(SecurityLevel, "high"),
)
SHOWN_DEFAULTS = {"runs": "1", "me": "0", "structureMaterialBonus": "0", "rigMaterialBonus": "0", "security": "high"}


def settings_of(asked: dict[str, Any] | Refusal) -> ChainSettings | Refusal:
    """The chain's settings from the parameters read (the queries' defaults where not given)."""
    if isinstance(asked, Refusal):
        return asked
    facility = Facility(
        structure_material_bonus=asked["structureMaterialBonus"],
        rig_material_bonus=asked["rigMaterialBonus"],
        security=Security(asked["security"]),
    )
    return ChainSettings(runs=asked["runs"], default=StepSettings(me=asked["me"], facility=facility))


async def search_page(request: Request[Any, Any, Any], system: Manufactory, holder: TokenHolder) -> Template:
    """The search form and, once a name is typed, the items of the user's catalog that match."""
    asked = request.query_params.get("search")
    search = asked.strip() if isinstance(asked, str) else ""
    refused = None
    items = None
    if len(search) > MAX_SEARCH:
        refused = Refusal(detail=f"Type at most {MAX_SEARCH} characters of the name.", field="search")
    elif search:
        items = await query_projection(system, "catalog", None, search_items, holder.user_id, search, FOUND, 0)
    context = {"search": search, "items": items, "found": FOUND}
    return form_page(request, "chains.html", context, refused)


class ChainPage(msgspec.Struct, frozen=True, kw_only=True):
    """What the chain page shows of one item; None where the settings were refused."""

    type_id: int
    name: str
    tree: ChainTreeOut
    materials: BillOut | None = None
    shopping: ChainShoppingListOut | None = None
    multibuy: str | None = None
    multibuy_refused: Refusal | None = None


async def chain_page(
    system: Manufactory,
    catalog_cache: ReadCache[CatalogSnapshot],
    user_id: UUID,
    type_id: int,
    chosen: ChainSettings | Refusal,
) -> ChainPage | Refusal:
    """The item's chain, materials and shopping list (a refusal: the item's, a whole-page
    one; the settings': the tree alone, the refusal next to its input)."""
    try:
        snapshot = await buildable_catalog(system, catalog_cache, user_id, type_id, None)
        tree = chain_tree(snapshot, type_id)
    except DomainError as error:
        return refusal_of(error)
    if isinstance(chosen, Refusal):
        return ChainPage(type_id=type_id, name=tree.name, tree=tree)
    materials = await chain_materials(system, catalog_cache, user_id, type_id, chosen, None)
    shopping = await chain_shopping_list(system, catalog_cache, user_id, type_id, chosen, None, None, None)
    try:
        multibuy, multibuy_refused = as_multibuy(shopping.lines), None
    except DomainError as error:
        multibuy, multibuy_refused = None, refusal_of(error)
    return ChainPage(
        type_id=type_id,
        name=tree.name,
        tree=tree,
        materials=materials,
        shopping=shopping,
        multibuy=multibuy,
        multibuy_refused=multibuy_refused,
    )


class ChainPages(ConsoleController):
    @get("/chains")
    async def chains(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
    ) -> Template:
        """Find an item by ``?search=`` (part of its name, any case)."""
        return await search_page(request, system, holder)

    @get("/chains/{type_id:int}")
    async def chain(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        catalog_cache: NamedDependency[ReadCache[CatalogSnapshot]],
        holder: NamedDependency[TokenHolder],
        type_id: TypeId,
    ) -> Template:
        """The item's chain for ``?runs=&me=&structureMaterialBonus=&rigMaterialBonus=&security=``."""
        sent, asked = SETTINGS.read(request)
        chosen = settings_of(asked)
        found = await chain_page(system, catalog_cache, holder.user_id, type_id, chosen)
        if isinstance(found, Refusal):  # no such item, or nothing builds it: said where the item is searched
            searched = {"search": "", "items": None, "found": FOUND, "refused": found}
            return page(request, "chains.html", searched, status_code=found.status)
        refused = chosen if isinstance(chosen, Refusal) else None
        context = {
            "chain": found,
            "values": {**SHOWN_DEFAULTS, **{name: value for name, value in sent.items() if value}},
            "field_names": SETTINGS.names,
        }
        return form_page(request, "chain.html", context, refused)
