"""Building blocks every catalog reader shares: progress, error wording, rows -> model.

The three EVE sources (SDE YAML, SDE JSON lines, CSV dump) differ only in how records are
stored; once a reader has the plain values of a type, group or blueprint activity, it builds
the model through these helpers, so items and recipes come out identical whatever the source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import msgspec

from domain.catalog.model import Activity, ActivityKind, Decryptor, Item, Recipe
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


# Decryptors: the SDE's group 1304 "Generic Decryptor" (the eight of them, 34201-34208) and the
# dogma attributes that carry their effects. Sources: guiguilechat/JCELechat, generated from the
# SDE: ``types/decryptors/GenericDecryptor.java`` (group id 1304), ``attributes/
# InventionPropabilityMultiplier.java`` (1112), ``InventionMEModifier.java`` (1113),
# ``InventionTEModifier.java`` (1114), ``InventionMaxRunModifier.java`` (1124), every one defaulting
# to 0 where a type does not carry it (Process has no run modifier, Optimized Augmentation no TE
# one), and ``resources/SDE/items/decryptors/GenericDecryptor.yaml`` for the values. Other groups
# carry the same attributes (the older racial decryptors, e.g. group 729 "Decryptors - Minmatar");
# only the generic group is read: the eight standard decryptors of ``../shared/notes/
# eve-online-api.md``, the ones invention is offered with.
GENERIC_DECRYPTOR_GROUP = 1304
PROBABILITY_MULTIPLIER, ME_MODIFIER, TE_MODIFIER, RUNS_MODIFIER = 1112, 1113, 1114, 1124
DECRYPTOR_ATTRIBUTES = frozenset({PROBABILITY_MULTIPLIER, ME_MODIFIER, TE_MODIFIER, RUNS_MODIFIER})
_FLOAT32_DIGITS = 6  # significant digits a 32-bit float holds exactly (it has 24 bits: 7.2 digits)


def decryptor_ids(items: Iterable[Item]) -> frozenset[int]:
    return frozenset(item.type_id for item in items if item.group_id == GENERIC_DECRYPTOR_GROUP)


def decryptor(attributes: Mapping[int, float]) -> Decryptor | None:
    """A decryptor's effects from its dogma attributes (None without a probability multiplier).
    Dogma values are 32-bit floats (1.2 is stored as 1.2000000476837158): six significant digits
    give back the number the game designers set, and the modifiers are whole numbers."""
    multiplier = attributes.get(PROBABILITY_MULTIPLIER)
    if multiplier is None:
        return None
    return Decryptor(
        probability_multiplier=float(f"{multiplier:.{_FLOAT32_DIGITS}g}"),
        me_modifier=round(attributes.get(ME_MODIFIER, 0.0)),
        te_modifier=round(attributes.get(TE_MODIFIER, 0.0)),
        runs_modifier=round(attributes.get(RUNS_MODIFIER, 0.0)),
    )


def with_decryptors(items: tuple[Item, ...], decryptors: Mapping[int, Decryptor]) -> tuple[Item, ...]:
    """The items, each decryptor among them carrying its effects."""
    if not decryptors:
        return items
    return tuple(
        msgspec.structs.replace(item, decryptor=decryptors[item.type_id]) if item.type_id in decryptors else item
        for item in items
    )
