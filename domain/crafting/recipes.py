"""Recipes (what a job turns into what) and the thread-safe registry that validates and indexes them.

A recipe is checked once, when it is registered, so the hot paths (start, update) can trust
it: quantities are positive integers, probabilities lie in (0, 1], the duration is at most
ten years and not negative, no input item is listed twice (a consumed item that is also a tool would
make "has the tool" ambiguous) and the metadata is plain JSON data nested at most 32 deep
(so export never fails).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

import msgspec

from domain.crafting.errors import DuplicateRecipe, InvalidRecipe, UnknownRecipe
from domain.limits import INT32_MAX, MAX_SMALL_LIST, Key, Label, OptionalText, Seconds, check_depth
from domain.work_limits import CRAFTING_MAX_DURATION, CRAFTING_MAX_QUANTITY

NonEmpty = Key
Positive = Annotated[int, msgspec.Meta(ge=1, le=INT32_MAX)]
Probability = Annotated[float, msgspec.Meta(gt=0.0, le=1.0)]
MAX_RECIPES = 10 * MAX_SMALL_LIST  # per registration

CATALOG_FORMAT = 1


class ItemRequirement(msgspec.Struct, frozen=True, gc=False):
    """An input: ``quantity`` of ``item`` removed at start, or, when ``consume`` is false, a tool
    that must be present but stays in the inventory."""

    item: NonEmpty
    quantity: Positive
    consume: bool = True


class ItemYield(msgspec.Struct, frozen=True, gc=False):
    """An output: ``quantity`` of ``item``, produced with ``probability`` (each output rolled on its own).

    The type admits 0 because a yield modifier may round an output down to nothing; a recipe's
    own outputs must be at least 1 (``validate_recipe``).
    """

    item: NonEmpty
    quantity: Annotated[int, msgspec.Meta(ge=0, le=INT32_MAX)]
    probability: Probability = 1.0


class ItemStack(msgspec.Struct, frozen=True, gc=False):
    """A concrete amount of one item: what was consumed, produced, refunded or lost."""

    item: str
    quantity: int


class CraftRecipe(msgspec.Struct, frozen=True, kw_only=True):
    """A transformation rule. ``duration`` is in seconds; 0 makes the job complete as it starts."""

    id: NonEmpty
    name: OptionalText = ""
    category: Label = ""
    inputs: Annotated[tuple[ItemRequirement, ...], msgspec.Meta(max_length=MAX_SMALL_LIST)] = ()
    outputs: Annotated[tuple[ItemYield, ...], msgspec.Meta(max_length=MAX_SMALL_LIST)] = ()
    duration: Seconds = 0.0
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        check_depth(self.metadata)


class RecipeCatalog(msgspec.Struct, kw_only=True):
    """The export/import document: a format number and the recipes in registration order."""

    format: int = CATALOG_FORMAT
    recipes: Annotated[list[CraftRecipe], msgspec.Meta(max_length=MAX_RECIPES)] = msgspec.field(default_factory=list)


def validate_recipe(recipe: CraftRecipe) -> CraftRecipe:
    """Return ``recipe`` checked and normalised (lists become tuples), or raise ``InvalidRecipe``.

    Types and ranges are checked by round-tripping through msgspec (the same rules JSON import
    applies, so a recipe built in code and one read from a file are held to one standard).
    """
    label = repr(getattr(recipe, "id", "?"))
    try:
        checked = msgspec.convert(msgspec.to_builtins(recipe), CraftRecipe)
    except TypeError as error:  # metadata (or a field) holds something that is not plain data
        raise InvalidRecipe(f"recipe {label}: not plain data: {error}", "metadata") from error
    except msgspec.ValidationError as error:
        message = str(error)
        field = message.rpartition("at `$.")[2].rstrip("`") if "at `$." in message else None
        raise InvalidRecipe(f"recipe {label}: {message}", field) from error
    if not checked.id.strip():
        raise InvalidRecipe("recipe id must not be blank", "id")
    if not checked.outputs:
        raise InvalidRecipe(f"recipe {label}: needs at least one output", "outputs")
    for output in checked.outputs:
        if output.quantity < 1:
            raise InvalidRecipe(f"recipe {label}: output {output.item!r} needs a quantity >= 1", "outputs")
    seen: set[str] = set()
    for requirement in checked.inputs:
        if requirement.item in seen:
            raise InvalidRecipe(f"recipe {label}: input {requirement.item!r} is listed twice", "inputs")
        seen.add(requirement.item)
    return checked


def check_bounds(recipe: CraftRecipe) -> CraftRecipe:
    """Return ``recipe``, or raise ``InvalidRecipe`` for a duration above ``CRAFTING_MAX_DURATION``
    or a quantity above ``CRAFTING_MAX_QUANTITY``. Checked where recipes come in (a world's
    registration command), not in ``validate_recipe``, which replay uses too: a recipe stored
    before these bounds still loads, and ``resolve`` refuses to start it if it is out of bounds."""
    label = repr(getattr(recipe, "id", "?"))
    if recipe.duration > CRAFTING_MAX_DURATION:
        raise InvalidRecipe(f"recipe {label}: duration is at most {CRAFTING_MAX_DURATION:g} seconds", "duration")
    entries: tuple[tuple[str, Sequence[ItemRequirement | ItemYield]], ...] = (
        ("inputs", recipe.inputs),
        ("outputs", recipe.outputs),
    )
    for name, listed in entries:
        for n, entry in enumerate(listed):
            if entry.quantity > CRAFTING_MAX_QUANTITY:
                raise InvalidRecipe(
                    f"recipe {label}: a quantity is at most {CRAFTING_MAX_QUANTITY:,}", f"{name}[{n}].quantity"
                )
    return recipe


class RecipeRegistry:
    """All recipes, with lookups by id, category and output item.

    Writers hold a lock while they change the id map and both indexes together; ``get`` reads
    the id map without it (one dict read is atomic in CPython) because every job start uses it.
    """

    def __init__(self, recipes: Iterable[CraftRecipe] = ()) -> None:
        self._lock = threading.Lock()
        self._recipes: dict[str, CraftRecipe] = {}
        self._by_category: dict[str, dict[str, None]] = {}
        self._by_output: dict[str, dict[str, None]] = {}
        self.register_all(recipes)

    def register(self, recipe: CraftRecipe, *, replace: bool = False) -> CraftRecipe:
        """Validate and add ``recipe``; return the stored (normalised) copy."""
        return self.register_all((recipe,), replace=replace)[0]

    def register_all(self, recipes: Iterable[CraftRecipe], *, replace: bool = False) -> list[CraftRecipe]:
        """Add several recipes at once: if any is invalid or (without ``replace``) taken, none is added."""
        checked = [validate_recipe(recipe) for recipe in recipes]
        ids = [recipe.id for recipe in checked]
        if len(set(ids)) != len(ids):
            raise InvalidRecipe("the same recipe id appears twice in one registration", "id")
        with self._lock:
            if not replace:
                for recipe_id in ids:
                    if recipe_id in self._recipes:
                        raise DuplicateRecipe(f"recipe {recipe_id!r} is already registered", "id")
            for recipe in checked:
                self._unindex(recipe.id)
                self._recipes[recipe.id] = recipe
                self._by_category.setdefault(recipe.category, {})[recipe.id] = None
                for output in recipe.outputs:
                    self._by_output.setdefault(output.item, {})[recipe.id] = None
        return checked

    def unregister(self, recipe_id: str) -> CraftRecipe:
        """Remove a recipe (running jobs keep their snapshot and are unaffected)."""
        with self._lock:
            recipe = self._unindex(recipe_id)
        if recipe is None:
            raise UnknownRecipe(f"unknown recipe {recipe_id!r}", "recipe_id")
        return recipe

    def _unindex(self, recipe_id: str) -> CraftRecipe | None:
        recipe = self._recipes.pop(recipe_id, None)
        if recipe is not None:
            _discard(self._by_category, recipe.category, recipe_id)
            for output in recipe.outputs:
                _discard(self._by_output, output.item, recipe_id)
        return recipe

    def get(self, recipe_id: str) -> CraftRecipe:
        """The recipe with this id, or ``UnknownRecipe``."""
        recipe = self._recipes.get(recipe_id)
        if recipe is None:
            raise UnknownRecipe(f"unknown recipe {recipe_id!r}", "recipe_id")
        return recipe

    def find(self, recipe_id: str) -> CraftRecipe | None:
        """The recipe with this id, or None."""
        return self._recipes.get(recipe_id)

    def by_category(self, category: str) -> list[CraftRecipe]:
        """Recipes of one category, in registration order."""
        with self._lock:
            return [self._recipes[recipe_id] for recipe_id in self._by_category.get(category, ())]

    def producing(self, item: str) -> list[CraftRecipe]:
        """Recipes with ``item`` among their outputs, in registration order."""
        with self._lock:
            return [self._recipes[recipe_id] for recipe_id in self._by_output.get(item, ())]

    def all(self) -> list[CraftRecipe]:
        """Every recipe, in registration order."""
        with self._lock:
            return list(self._recipes.values())

    def __len__(self) -> int:
        return len(self._recipes)

    def __contains__(self, recipe_id: object) -> bool:
        return recipe_id in self._recipes

    def export_json(self, *, indent: int = 2) -> bytes:
        """Every recipe as a JSON catalog document (the format ``import_json`` reads)."""
        data = msgspec.json.encode(RecipeCatalog(recipes=self.all()))
        return msgspec.json.format(data, indent=indent) if indent else data

    def import_json(self, data: bytes | str, *, replace: bool = False) -> list[CraftRecipe]:
        """Register every recipe of a JSON catalog document, all or none."""
        try:
            catalog = msgspec.json.decode(data, type=RecipeCatalog)
        except msgspec.DecodeError as error:
            raise InvalidRecipe(f"recipe catalog: {error}") from error
        if catalog.format != CATALOG_FORMAT:
            raise InvalidRecipe(f"recipe catalog: format {catalog.format} is not {CATALOG_FORMAT}", "format")
        return self.register_all(catalog.recipes, replace=replace)


def _discard(index: dict[str, dict[str, None]], key: str, recipe_id: str) -> None:
    members = index.get(key)
    if members is not None:
        members.pop(recipe_id, None)
        if not members:
            del index[key]
