"""Building blocks every catalog reader shares: progress, error wording, rows -> model.

The three EVE sources (SDE YAML, SDE JSON lines, CSV dump) differ only in how records are
stored; once a reader has the plain values of a type, group or blueprint activity, it builds
the model through these helpers, so items and recipes come out identical whatever the source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from domain.catalog.model import Activity, ActivityKind, Item, Recipe
from domain.errors import InvalidInput

ProgressCallback = Callable[[int, int], None]

_STEPS = 1000  # at most this many progress reports per import, however many records


class ByteProgress:
    """Reports bytes read across all of a source's files, so one bar covers the whole import."""

    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self._callback = callback
        self._total = total
        self._step = max(total // _STEPS, 1)
        self._base = 0
        self._reported = -1

    def at(self, offset_in_file: int) -> None:
        """The current file has been read up to ``offset_in_file``; report if it moved enough."""
        done = self._base + offset_in_file
        if done - self._reported >= self._step:
            self._report(done)

    def file_done(self, size: int) -> None:
        """Always reports at a file's end, so the last file ends the bar at done == total."""
        self._base += size
        self._report(self._base)

    def _report(self, done: int) -> None:
        self._reported = done
        if self._callback is not None:
            self._callback(done, self._total)


def malformed(file: str, where: str, reason: BaseException | str) -> InvalidInput:
    """One line naming the file and the line or record, for the CLI and the HTTP answer."""
    return InvalidInput(f"{file} {where}: {describe(reason)}", field="path")


def describe(reason: BaseException | str) -> str:
    if isinstance(reason, KeyError):
        return f"missing {reason.args[0]!r}"
    text = str(reason).strip()
    return text.splitlines()[0] if text else type(reason).__name__


def english(name: Mapping[str, str] | str | None) -> str | None:
    """SDE names are ``{language: text}``; some older dumps hold the English text alone."""
    if isinstance(name, Mapping):
        return name.get("en")
    return name


def activity_kind(name: str) -> ActivityKind | None:
    """The SDE names activities by the enum's values; names we do not model are skipped."""
    return _KIND_BY_NAME.get(name)


_KIND_BY_NAME = {kind.value: kind for kind in ActivityKind}


@dataclass(frozen=True, slots=True)
class Group:
    category_id: int | None
    name: str | None


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """Group and category names, read before the types so each item carries them joined."""

    groups: Mapping[int, Group]
    categories: Mapping[int, str]

    def item(
        self,
        type_id: int,
        name: str | None,
        group_id: int | None,
        *,
        volume: float | None,
        portion_size: int,
        market_group_id: int | None,
        published: bool,
    ) -> Item:
        group = self.groups.get(group_id) if group_id is not None else None
        category_id = group.category_id if group else None
        return Item(
            type_id=type_id,
            name=name or f"Type {type_id}",
            group_id=group_id,
            group_name=group.name if group else None,
            category_id=category_id,
            category_name=self.categories.get(category_id) if category_id is not None else None,
            volume=volume,
            portion_size=portion_size,
            market_group_id=market_group_id,
            published=published,
        )


def items_and_names(rows: Iterable[tuple[Item, str | None]]) -> tuple[tuple[Item, ...], dict[int, str]]:
    """The items, and their English names for naming recipes (without the items' fallbacks)."""
    items: list[Item] = []
    names: dict[int, str] = {}
    for item, name in rows:
        items.append(item)
        if name is not None:
            names[item.type_id] = name
    return tuple(items), names


def make_recipe(
    recipe_id: int, activities: Iterable[Activity], max_runs: int | None, type_names: Mapping[int, str]
) -> Recipe:
    """Activities in activity-id order, so every source yields equal recipes for equal data."""
    return Recipe(
        recipe_id=recipe_id,
        name=type_names.get(recipe_id),
        max_runs=max_runs,
        activities=tuple(sorted(activities, key=lambda activity: activity.kind.activity_id)),
    )
