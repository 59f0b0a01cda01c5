"""Production chains: which recipe builds each item, walked down to raw materials.

Raw material = no recipe builds it (manufacturing or reaction), or the caller buys it. Where
several recipes build one item, the catalog's primary one is used (else the lowest recipe
id), unless the caller chooses another. Walks are iterative, so deep chains cannot overflow
the stack, and a cycle is reported with its items instead of looping.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from fractions import Fraction
from typing import Any, TypeVar

import msgspec

from domain.catalog.industry import NPC_STATION, Facility, Skills, job_quantity, job_time, material_modifier
from domain.catalog.invention import Invention, InventionPolicy, InventionSkills, invention_probability, inventions
from domain.catalog.model import ActivityKind, Decryptor, Material, OverlayContent, Recipe, Skill
from domain.errors import InvalidInput, RuleViolation
from domain.work_limits import MAX_CHAIN_TREE_NODES, ensure_within


class BuildStep(msgspec.Struct, frozen=True, kw_only=True):
    """One way to build an item: a recipe's manufacturing or reaction activity."""

    recipe_id: int
    kind: ActivityKind
    product_type_id: int
    units_per_run: int
    time: int
    materials: tuple[Material, ...]
    max_runs: int | None = None
    primary: bool = False
    skills: tuple[Skill, ...] = ()  # the skills (and levels) a character needs to run it
    probability: float | None = None  # invention: the base chance of one attempt
    # The copy whose runs this step uses, one per run: an invented item's Tech II copy, or the
    # Tech I copy an invention attempt takes. Not a material: the game lists a job's blueprint
    # apart from its materials, and job costs leave it out.
    blueprint_copy: int | None = None

    @property
    def copy_run(self) -> tuple[Material, ...]:
        """The copy run each run takes, as an input (none for a step without a copy)."""
        return () if self.blueprint_copy is None else (Material(type_id=self.blueprint_copy, quantity=1),)

    @property
    def inputs(self) -> tuple[Material, ...]:
        """What the chain walks below this step: the materials, and the copy's runs."""
        return (*self.materials, *self.copy_run)

    @property
    def invents(self) -> bool:
        """An invention step: its product is a Tech II blueprint copy's runs, won by chance."""
        return self.kind is ActivityKind.INVENTION

    def expected_yield(self) -> Fraction:
        """Units one run is expected to deliver: an invention attempt wins ``units_per_run``
        runs of a copy with the chance at the default skills (all V) and no decryptor; the
        flat chains count invention on that expectation."""
        if self.probability is None:
            return Fraction(self.units_per_run)
        chance = invention_probability(self.probability, InventionSkills())
        return self.units_per_run * Fraction(chance).limit_denominator(10**9)


class ChainCycle(RuleViolation):
    def __init__(self, items: list[int]) -> None:
        path = " -> ".join(str(item) for item in items)
        super().__init__(f"the production chain loops: {path}", "type_id")
        self.items = items


class StepSettings(msgspec.Struct, frozen=True, kw_only=True):
    me: int = 0
    te: int = 0
    facility: Facility = NPC_STATION
    skills: Skills = Skills()


DEFAULT_SETTINGS = StepSettings()


class ChainLink(msgspec.Struct, frozen=True):
    """One row of the spec's production_chains: per run of the item's recipe, without ME."""

    raw_type_id: int
    base_quantity: Fraction
    depth: int
    path: tuple[int, ...]


class Jobs(msgspec.Struct, frozen=True):
    """``count`` jobs of ``runs`` runs each, each taking ``seconds`` (whole, as the game's)."""

    runs: int
    count: int
    seconds: int = 0


class StepPlan(msgspec.Struct, frozen=True, kw_only=True):
    type_id: int
    recipe_id: int
    kind: ActivityKind
    runs: int
    jobs: tuple[Jobs, ...]  # the runs split at the blueprint's max runs per job
    produced: int
    needed: int
    leftover: int
    me: int
    depth: int


class ChainNode(msgspec.Struct, kw_only=True):
    """One item in a chain tree: ``quantity`` per run of its parent's recipe."""

    type_id: int
    quantity: int
    recipe_id: int | None = None
    activity: ActivityKind | None = None
    units_per_run: int | None = None
    probability: float | None = None  # invention: the base chance of one attempt (a chance step)
    children: list[ChainNode] = []


class BillOfMaterials(msgspec.Struct, frozen=True, kw_only=True):
    type_id: int
    runs: int
    steps: tuple[StepPlan, ...]  # deepest first is the build order
    raw: dict[int, int]  # raw material -> units to obtain
    bought: dict[int, int]  # makeable items the caller buys instead -> units


def build_steps(recipes: Iterable[Recipe]) -> dict[int, list[BuildStep]]:
    """Every way to build each product, the preferred first. Invented items get their chain
    to the blueprint: their manufacturing takes one run of the Tech II copy per run, the copy
    comes from invention (datacores and one run of a Tech I copy per attempt), and the Tech I
    copy from copying the Tech I original."""
    recipes = list(recipes)
    by_product: dict[int, list[BuildStep]] = defaultdict(list)
    for recipe in recipes:
        for activity in recipe.activities:
            if not activity.kind.builds:
                continue
            for product in activity.products:
                by_product[product.type_id].append(
                    BuildStep(
                        recipe_id=recipe.recipe_id,
                        kind=activity.kind,
                        product_type_id=product.type_id,
                        units_per_run=max(product.quantity, 1),
                        time=activity.time,
                        materials=activity.materials,
                        max_runs=recipe.max_runs,
                        primary=recipe.primary,
                        skills=activity.skills,
                    )
                )
    _add_invention(by_product, {recipe.recipe_id: recipe for recipe in recipes})
    for steps in by_product.values():
        steps.sort(key=lambda step: (not step.primary, step.recipe_id))
    return dict(by_product)


def _add_invention(by_product: dict[int, list[BuildStep]], recipes: Mapping[int, Recipe]) -> None:
    invented: set[int] = set()
    for recipe in recipes.values():
        invention, copied = recipe.activity(ActivityKind.INVENTION), recipe.activity(ActivityKind.MANUFACTURING)
        if invention is None or copied is None:
            continue
        for product in invention.products:
            target = recipes.get(product.type_id)
            if target is None or target.activity(ActivityKind.MANUFACTURING) is None or not product.probability:
                continue
            invented.add(product.type_id)
            by_product[product.type_id].append(
                BuildStep(
                    recipe_id=recipe.recipe_id,
                    kind=ActivityKind.INVENTION,
                    product_type_id=product.type_id,
                    units_per_run=max(product.quantity, 1),
                    time=invention.time,
                    materials=invention.materials,  # the datacores
                    blueprint_copy=recipe.recipe_id,  # a Tech I copy run per attempt
                    skills=invention.skills,
                    probability=float(product.probability),
                )
            )
            if recipe.recipe_id not in by_product:
                copying = recipe.activity(ActivityKind.COPYING)
                by_product[recipe.recipe_id].append(
                    BuildStep(
                        recipe_id=recipe.recipe_id,
                        kind=ActivityKind.COPYING,
                        product_type_id=recipe.recipe_id,
                        units_per_run=1,
                        time=copying.time if copying else 0,
                        materials=copying.materials if copying else (),
                        skills=copying.skills if copying else (),
                    )
                )
    for steps in by_product.values():
        for index, step in enumerate(steps):
            if step.recipe_id in invented and step.kind is ActivityKind.MANUFACTURING:
                steps[index] = msgspec.structs.replace(step, blueprint_copy=step.recipe_id)


K = TypeVar("K")
V = TypeVar("V")


class Patched(Mapping[K, V]):
    """A mapping seen with some keys replaced (``patch``) or hidden: a view, so a user's overlay
    on a shared catalog (bought marks, their own recipes and items, chosen recipes) costs what
    the overlay holds, not a copy of the catalog."""

    def __init__(self, base: Mapping[K, V], patch: Mapping[K, V], hidden: frozenset[K] = frozenset()) -> None:
        self._base = base
        self._patch = patch
        self._hidden = hidden

    def __getitem__(self, key: K) -> V:
        if key in self._patch:
            return self._patch[key]
        if key in self._hidden:
            raise KeyError(key)
        return self._base[key]

    # get and `in` without a KeyError raised and caught per absent key (Mapping's own do): chain
    # walks ask for every raw material, so a view must answer as fast as the dict beneath it.
    def get(self, key: K, default: Any = None) -> Any:
        if key in self._patch:
            return self._patch[key]
        if key in self._hidden:
            return default
        return self._base.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._patch or (key not in self._hidden and key in self._base)

    def __iter__(self) -> Iterator[K]:
        for key in self._base:
            if key not in self._hidden and key not in self._patch:
                yield key
        yield from self._patch

    def __len__(self) -> int:
        return sum(1 for _ in self)


def patched(base: Mapping[K, V], patch: Mapping[K, V], hidden: Iterable[K] = ()) -> Mapping[K, V]:
    """``base`` itself when nothing is patched or hidden, else a ``Patched`` view of it."""
    gone = frozenset(hidden)
    return Patched(base, patch, gone) if patch or gone else base


class _RecipeIndex:
    """Which recipes build (manufacturing, reaction) and invent each type: what an overlay of
    recipes needs to find the products whose ways of building it changes."""

    def __init__(self, recipes: Iterable[Recipe]) -> None:
        self.builders: dict[int, set[int]] = defaultdict(set)
        self.inventors: dict[int, set[int]] = defaultdict(set)
        for recipe in recipes:
            for product in _built(recipe):
                self.builders[product].add(recipe.recipe_id)
            for product in _invented(recipe):
                self.inventors[product].add(recipe.recipe_id)


def _built(recipe: Recipe) -> set[int]:
    return {p.type_id for a in recipe.activities if a.kind.builds for p in a.products}


def _invented(recipe: Recipe) -> set[int]:
    invention = recipe.activity(ActivityKind.INVENTION)
    return {p.type_id for p in invention.products} if invention else set()


class _Merged:
    """A catalog's recipes with a user's own on top (a recipe of theirs replaces the catalog's
    of the same id), indexed as ``_RecipeIndex`` without copying the catalog's index."""

    def __init__(self, base: Mapping[int, Recipe], index: _RecipeIndex, own: Mapping[int, Recipe]) -> None:
        self.base, self.own, self._index, self._own_index = base, own, index, _RecipeIndex(own.values())

    def get(self, recipe_id: int) -> Recipe | None:
        return self.own.get(recipe_id) or self.base.get(recipe_id)

    def builders(self, type_id: int) -> set[int]:
        kept = {r for r in self._index.builders.get(type_id, ()) if r not in self.own}
        return kept | self._own_index.builders.get(type_id, set())

    def inventors(self, type_id: int) -> set[int]:
        kept = {r for r in self._index.inventors.get(type_id, ()) if r not in self.own}
        return kept | self._own_index.inventors.get(type_id, set())

    def changed(self) -> list[Recipe]:
        """The user's recipes and the catalog's they replace."""
        return [*self.own.values(), *(self.base[r] for r in self.own if r in self.base)]

    def versions(self, recipe_id: int) -> list[Recipe]:
        """The recipe as the user sees it and as the catalog has it (where either does)."""
        return [r for r in (self.own.get(recipe_id), self.base.get(recipe_id)) if r is not None]

    def affected_products(self) -> set[int]:
        """Every type whose ways of building may differ from the catalog's: what the changed
        recipes build, the blueprints themselves (copying), what they invent and what the
        invented blueprints build (their steps take a copy run), and their inventors' copies."""
        found: set[int] = set()
        for recipe in self.changed():
            found |= _built(recipe) | {recipe.recipe_id}
            for target in _invented(recipe):
                found.add(target)
                for version in self.versions(target):
                    found |= _built(version)
            found |= self.inventors(recipe.recipe_id) | self._index.inventors.get(recipe.recipe_id, set())
        return found

    def relevant(self, products: Iterable[int]) -> list[Recipe]:
        """The recipes ``build_steps`` needs to build exactly the steps of ``products``."""
        ids: set[int] = set()
        for product in products:
            builders, inventors = self.builders(product), self.inventors(product)
            ids |= builders | inventors | {product}
            for builder in builders:
                ids |= self.inventors(builder)
            blueprint = self.get(product)
            if blueprint is not None:
                ids |= _invented(blueprint)
        return [recipe for recipe in map(self.get, sorted(ids)) if recipe is not None]

    def invented_items(self) -> set[int]:
        """Tech II items whose invention the changed recipes may change (``inventions`` keys)."""
        found: set[int] = set()
        for recipe in self.changed():
            for target in {recipe.recipe_id} | _invented(recipe):
                for version in self.versions(target):
                    made = version.activity(ActivityKind.MANUFACTURING)
                    if made is not None and made.products:
                        found.add(made.products[0].type_id)
        return found

    def inventing(self, items: Iterable[int]) -> list[Recipe]:
        """The recipes ``inventions`` needs to answer exactly for ``items``."""
        ids: set[int] = set()
        for item in items:
            for builder in self.builders(item):
                ids |= {builder} | self.inventors(builder)
        return [recipe for recipe in map(self.get, sorted(ids)) if recipe is not None]


class ProductionGraph:
    def __init__(
        self,
        steps: Mapping[int, list[BuildStep]],
        catalog_version: int = 0,
        recipes: Mapping[int, Recipe] | None = None,
    ) -> None:
        self._steps = steps
        self.catalog_version = catalog_version  # which catalog version its answers come from
        self._recipes = recipes  # a catalog's own graph keeps them, for overlays of recipes
        self._index: _RecipeIndex | None = None
        self._invented: frozenset[int] | None = None
        # a user's view: the catalog's graph it is over, with its patched and hidden steps
        self._view_of: tuple[ProductionGraph, Mapping[int, list[BuildStep]], frozenset[int]] | None = None

    @classmethod
    def from_recipes(
        cls, recipes: Iterable[Recipe], catalog_version: int = 0, bought: Iterable[int] = ()
    ) -> ProductionGraph:
        """``bought`` items are raw materials here, whatever recipes could make them."""
        by_id = {recipe.recipe_id: recipe for recipe in recipes}
        steps = build_steps(by_id.values())
        for type_id in bought:
            steps.pop(type_id, None)
        return cls(steps, catalog_version, by_id)

    def without(self, bought: Iterable[int]) -> ProductionGraph:
        """This graph with ``bought`` items raw, as ``from_recipes(..., bought)`` makes it."""
        return self.overlaid(bought=bought)

    def overlaid(
        self, recipes: Iterable[Recipe] = (), choices: Mapping[int, int] | None = None, bought: Iterable[int] = ()
    ) -> ProductionGraph:
        """This catalog's graph as a user sees it: with their own ``recipes`` (one of the same
        id replaces the catalog's), each ``choices`` item built by the chosen recipe by default
        (a choice no recipe of the item answers any more is left out: the default stays), and
        ``bought`` items raw. The same graph as ``from_recipes`` over the merged recipes with
        those bought, and those recipes made the preferred ones; but a view: only the steps
        of the items the overlay changes are built, the rest is the catalog's."""
        own = {recipe.recipe_id: recipe for recipe in recipes}
        patch: dict[int, list[BuildStep]] = {}
        hidden: set[int] = set(bought)
        if own:
            merged = self._merged(own)
            affected = merged.affected_products()
            rebuilt = build_steps(merged.relevant(affected))
            patch = {item: rebuilt[item] for item in affected if item in rebuilt}
            hidden |= affected - patch.keys()
        for item, recipe_id in (choices or {}).items():
            steps = patch.get(item) or ([] if item in hidden else self._steps.get(item, []))
            chosen = [step for step in steps if step.recipe_id == recipe_id]
            if chosen and steps[0].recipe_id != recipe_id:
                patch[item] = [*chosen, *(step for step in steps if step.recipe_id != recipe_id)]
        for item in bought:
            patch.pop(item, None)
        steps_view = patched(self._steps, patch, hidden)
        if steps_view is self._steps:
            return self
        view = ProductionGraph(steps_view, self.catalog_version)
        view._view_of = (self, patch, frozenset(hidden))
        return view

    def _merged(self, own: Mapping[int, Recipe]) -> _Merged:
        if self._recipes is None:
            raise ValueError("only a catalog's own graph (from_recipes) takes recipes of a user's")
        if self._index is None:
            self._index = _RecipeIndex(self._recipes.values())
        return _Merged(self._recipes, self._index, own)

    def touched_by(self, before: Iterable[Recipe], bought: Iterable[int] = ()) -> tuple[set[int], set[int]]:
        """What a change of the catalog may have changed in the rows kept per item: the items
        whose production_dependencies may differ (their ways of building, or whether an input
        is raw), and those whose production_chains may differ (any item whose chain reaches
        one whose ways changed). ``before``: the earlier versions of the recipes that changed
        (an empty recipe of its id for one that did not exist); ``bought``: items that became,
        or stopped being, bought."""
        earlier = {recipe.recipe_id: recipe for recipe in before}
        changed = (self._merged(earlier).affected_products() if earlier else set()) | set(bought)
        dependencies, users = set(changed), defaultdict(set)
        for product, steps in self._steps.items():
            for index, step in enumerate(steps):
                for material in step.inputs:
                    if material.type_id in changed:
                        dependencies.add(product)
                    if index == 0:  # chains walk each item's preferred step
                        users[material.type_id].add(product)
        chains, frontier = set(changed), list(changed)
        while frontier:
            for user in users.get(frontier.pop(), ()):
                if user not in chains:
                    chains.add(user)
                    frontier.append(user)
        return dependencies, chains

    def products(self) -> list[int]:
        """Every item some recipe builds."""
        return list(self._steps)

    def alternatives(self, type_id: int) -> list[BuildStep]:
        return list(self._steps.get(type_id, ()))

    def step(self, type_id: int, choices: Mapping[int, int] | None = None) -> BuildStep | None:
        """How ``type_id`` is built: the chosen recipe if the caller chose one, else the primary."""
        steps = self._steps.get(type_id)
        if not steps:
            return None
        chosen = (choices or {}).get(type_id)
        if chosen is None:
            return steps[0]
        for step in steps:
            if step.recipe_id == chosen:
                return step
        raise InvalidInput(f"recipe {chosen} does not build type {type_id}", "recipe")

    def order(
        self, root: int, choices: Mapping[int, int] | None = None, bought: frozenset[int] = frozenset()
    ) -> list[int]:
        """Every built item reachable from ``root``, each before all of its inputs
        (reverse post-order of an iterative depth-first walk); a cycle raises ChainCycle."""
        state: dict[int, int] = {}  # 1 = on the current path, 2 = done
        post: list[int] = []
        path: list[int] = []
        stack: list[tuple[int, Iterable[int]]] = []

        def enter(item: int) -> None:
            state[item] = 1
            path.append(item)
            step = self.step(item, choices)
            inputs = [m.type_id for m in step.inputs] if step and item not in bought else []
            stack.append((item, iter(inputs)))

        enter(root)
        while stack:
            item, inputs = stack[-1]
            for child in inputs:
                if state.get(child) == 1:
                    raise ChainCycle([*path[path.index(child) :], child])
                if child not in state and self.step(child, choices) is not None and child not in bought:
                    enter(child)
                    break
            else:
                stack.pop()
                path.pop()
                state[item] = 2
                post.append(item)
        return post[::-1]

    def tree_size(self, root: int, choices: Mapping[int, int] | None = None, *, raw: bool = True) -> int:
        """How many nodes ``tree(root)`` has (with ``raw=False``: only the built ones), worked
        out over the chain's items without building it: inputs shared by several users repeat
        under each, so a tree can be exponentially larger than the catalog behind it."""
        size: dict[int, int] = {}
        for item in reversed(self.order(root, choices)):  # inputs before their consumers
            step = self.step(item, choices)
            size[item] = 1 + sum(size.get(m.type_id, int(raw)) for m in step.inputs) if step else int(raw)
        return size[root]

    def tree(
        self, root: int, choices: Mapping[int, int] | None = None, *, max_nodes: int = MAX_CHAIN_TREE_NODES
    ) -> ChainNode:
        """The chain as a tree down to raw materials (shared inputs appear under each user);
        ``WorkLimitExceeded`` before any walking if it has more than ``max_nodes`` nodes."""
        ensure_within(
            f"nodes in the chain tree of type {root}",
            self.tree_size(root, choices),  # raises ChainCycle before any walking
            max_nodes,
            "type_id",
            "ask for format=flat, or the chain's direct inputs",
        )
        top = ChainNode(type_id=root, quantity=1)
        stack = [top]
        while stack:
            node = stack.pop()
            step = self.step(node.type_id, choices)
            if step is None:
                continue
            node.recipe_id, node.activity, node.units_per_run = step.recipe_id, step.kind, step.units_per_run
            node.probability = step.probability
            node.children = [ChainNode(type_id=m.type_id, quantity=m.quantity) for m in step.inputs]
            stack.extend(node.children)
        return top

    def raw_chains(self, roots: Iterable[int] | None = None) -> tuple[dict[int, dict[int, ChainLink]], set[int]]:
        """production_chains for every buildable item (or ``roots``): the total base quantity
        of each raw material per run, through whole batches' ratios, without ME; and the
        items whose chain loops (they get no rows)."""
        memo: dict[int, dict[int, ChainLink]] = {}
        looping: set[int] = set()
        wanted = list(roots) if roots is not None else list(self._steps)
        for root in wanted:
            if root in memo or root in looping:
                continue
            try:
                order = self.order(root)
            except ChainCycle:
                looping.add(root)
                continue
            for item in reversed(order):  # inputs before their consumers
                if item not in memo:
                    memo[item] = self._links(item, memo)
        return {root: memo[root] for root in wanted if root in memo}, looping

    def _links(self, item: int, memo: Mapping[int, dict[int, ChainLink]]) -> dict[int, ChainLink]:
        step = self._steps[item][0]
        links: dict[int, ChainLink] = {}
        for material in step.inputs:
            below = memo.get(material.type_id)
            if below is None:  # raw
                found = [ChainLink(material.type_id, Fraction(material.quantity), 1, (item, material.type_id))]
            else:
                per_unit = material.quantity / self._steps[material.type_id][0].expected_yield()
                found = [
                    ChainLink(raw, per_unit * link.base_quantity, link.depth + 1, (item, *link.path))
                    for raw, link in below.items()
                ]
            for link in found:
                known = links.get(link.raw_type_id)
                if known is None:
                    links[link.raw_type_id] = link
                else:
                    deeper = link if link.depth > known.depth else known
                    links[link.raw_type_id] = ChainLink(
                        link.raw_type_id, known.base_quantity + link.base_quantity, deeper.depth, deeper.path
                    )
        return links

    def invented_blueprints(self) -> frozenset[int]:
        """The Tech II blueprint copies invention makes (their runs are inputs of Tech II items):
        worked out once per catalog graph, and for a user's view from its catalog's."""
        if self._invented is None:
            if self._view_of is not None:
                base, patch, hidden = self._view_of
                kept = {item for item in base.invented_blueprints() if item not in hidden and item not in patch}
                self._invented = frozenset(kept | {item for item, steps in patch.items() if steps[0].invents})
            else:
                self._invented = frozenset(item for item, steps in self._steps.items() if steps[0].invents)
        return self._invented

    def bill_of_materials(
        self,
        type_id: int,
        runs: int,
        *,
        default: StepSettings = DEFAULT_SETTINGS,
        overrides: Mapping[int, StepSettings] | None = None,
        bought: frozenset[int] = frozenset(),
        choices: Mapping[int, int] | None = None,
        on_hand: Mapping[int, int] | None = None,
        invention: InventionPolicy | None = None,
    ) -> BillOfMaterials:
        """What to build and buy for ``runs`` runs of ``type_id``. Demand for an item is summed
        over the whole tree before its runs are fixed (rounding per branch overcounts); runs
        are whole, so batch products leave leftovers; materials are rounded per job.
        Intermediates ``on_hand`` are used before any are built.

        Tech II copies count only with an ``invention`` policy: then each invented item's
        manufacturing takes a copy run per run at the invented copy's ME and TE (unless its
        step says otherwise), the copies needed are invented in whole attempts (datacores, the
        decryptor and a Tech I copy run each, no ME), and the Tech I runs are copied. Without
        one, the copies are taken as held, as before invention was in the chains."""
        if runs < 1:
            raise InvalidInput("runs must be at least 1", "runs")
        if self.step(type_id, choices) is None:
            raise RuleViolation(f"type {type_id} has no recipe that builds it", "type_id")
        skipped = self.invented_blueprints() - {type_id} if invention is None else frozenset()
        order = self.order(type_id, choices, (bought | skipped) - {type_id})
        demand: dict[int, int] = defaultdict(int)
        depth: dict[int, int] = {type_id: 0}
        plans: list[StepPlan] = []
        for item in order:
            step = self.step(item, choices)
            assert step is not None
            settings = self._settings(step, default, overrides, invention)
            to_build = demand[item] - (on_hand or {}).get(item, 0)
            if item == type_id:
                item_runs, produced = runs, runs * step.units_per_run
            else:
                item_runs, produced = step_runs(step, max(to_build, 0), invention)
            if item_runs == 0:  # stock covers it: nothing to build, nothing below it needed
                continue
            reaction = step.kind is ActivityKind.REACTION
            jobs = tuple(
                Jobs(
                    job.runs,
                    job.count,
                    job_time(
                        step.time,
                        job.runs,
                        settings.te,
                        settings.facility,
                        settings.skills,
                        activity=step.kind,
                        required=(skill.type_id for skill in step.skills),
                    ),
                )
                for job in split_runs(item_runs, step.max_runs)
            )
            modifier = material_modifier(settings.me, settings.facility, reaction=reaction) if step.kind.builds else 1.0
            for material in (*job_materials(step, invention), *step.copy_run):
                if material.type_id in skipped:  # no policy: the copies are taken as held
                    continue
                demand[material.type_id] += sum(
                    job.count * job_quantity(material.quantity, job.runs, modifier) for job in jobs
                )
                depth[material.type_id] = max(depth.get(material.type_id, 0), depth[item] + 1)
            needed = produced if item == type_id else to_build
            plans.append(
                StepPlan(
                    type_id=item,
                    recipe_id=step.recipe_id,
                    kind=step.kind,
                    runs=item_runs,
                    jobs=jobs,
                    produced=produced,
                    needed=needed,
                    leftover=produced - needed,
                    me=settings.me,
                    depth=depth[item],
                )
            )
        built = set(order)
        raw = {item: quantity for item, quantity in demand.items() if item not in built and item not in bought}
        purchased = {item: quantity for item, quantity in demand.items() if item in bought}
        plans.sort(key=lambda plan: -plan.depth)
        return BillOfMaterials(type_id=type_id, runs=runs, steps=tuple(plans), raw=raw, bought=purchased)

    def _settings(
        self,
        step: BuildStep,
        default: StepSettings,
        overrides: Mapping[int, StepSettings] | None,
        invention: InventionPolicy | None,
    ) -> StepSettings:
        """A step's own settings, else for an invented copy's item the copy's ME and TE, else
        the default; copying and invention take no ME or TE."""
        if step.product_type_id in (overrides or {}):
            return (overrides or {})[step.product_type_id]
        if not step.kind.builds:
            return msgspec.structs.replace(default, me=0, te=0)
        invented = self._steps.get(step.recipe_id)
        if invention is not None and invented and invented[0].invents:
            me, te = invention.invented_levels(step.recipe_id)
            return msgspec.structs.replace(default, me=me, te=te)
        return default


def step_runs(step: BuildStep, wanted: int, invention: InventionPolicy | None) -> tuple[int, int]:
    """Runs of ``step`` for ``wanted`` units, and the units they are counted on to deliver: an
    invention's runs are the policy's attempts, enough for the whole copies the wanted runs
    take (without a policy, as if every attempt won). Bills and plan runs count alike."""
    if not wanted:
        return 0, 0
    if not step.invents or invention is None or step.probability is None:
        runs = math.ceil(wanted / step.units_per_run)
        return runs, runs * step.units_per_run
    per_copy = invention.runs_per_copy(step.product_type_id, step.units_per_run)
    copies = math.ceil(wanted / per_copy)
    return invention.attempts(step.product_type_id, step.probability, copies), copies * per_copy


def job_materials(step: BuildStep, invention: InventionPolicy | None) -> tuple[Material, ...]:
    """What each run of a job consumes: the recipe's materials, and an invention attempt's
    decryptor when the policy chose one (a copy's runs are not job materials)."""
    chosen = invention.decryptor(step.product_type_id) if invention and step.invents else None
    if chosen is None:
        return step.materials
    return (*step.materials, Material(type_id=chosen[0], quantity=1))


class CatalogSnapshot(msgspec.Struct, frozen=True):
    """What chain answers need, read once per catalog version and kept in memory."""

    graph: ProductionGraph
    names: Mapping[int, str]
    volumes: Mapping[int, float | None]
    inventions: Mapping[int, Invention] = {}  # Tech II item -> how it is invented
    decryptors: Mapping[int, Decryptor] = {}  # decryptor type id -> its effects

    def with_bought(self, bought: Iterable[int]) -> CatalogSnapshot:
        """This catalog with ``bought`` items raw (a user's marks on a catalog read without
        them): a new graph view, everything else shared."""
        return self.with_overlay(OverlayContent(bought=tuple(bought)))

    def with_overlay(self, overlay: OverlayContent) -> CatalogSnapshot:
        """This catalog as a user sees it through their overlay (``ProductionGraph.overlaid``),
        their own items named and sized over the catalog's: views, everything else shared."""
        if overlay.empty:
            return self
        choices = {choice.type_id: choice.recipe_id for choice in overlay.choices}
        graph = self.graph.overlaid(overlay.recipes, choices, overlay.bought)
        found = self.inventions
        if overlay.recipes:
            merged = self.graph._merged({recipe.recipe_id: recipe for recipe in overlay.recipes})
            items = merged.invented_items()
            fresh = inventions(merged.inventing(items))
            found = patched(self.inventions, {k: v for k, v in fresh.items() if k in items}, items - fresh.keys())
        own = overlay.items
        decryptors = {item.type_id: item.decryptor for item in own if item.decryptor is not None}
        return CatalogSnapshot(
            graph,
            patched(self.names, {item.type_id: item.name for item in own}),
            patched(self.volumes, {item.type_id: item.volume for item in own}),
            found,
            patched(self.decryptors, decryptors, (item.type_id for item in own if item.decryptor is None)),
        )


def split_runs(runs: int, max_runs: int | None) -> tuple[Jobs, ...]:
    """Jobs for ``runs`` runs: a blueprint runs at most ``max_runs`` per job."""
    if not max_runs or runs <= max_runs:
        return (Jobs(runs, 1),)
    full, rest = divmod(runs, max_runs)
    return (Jobs(max_runs, full),) + ((Jobs(rest, 1),) if rest else ())
