"""The game's map: regions, solar systems with their stargate jumps, stations; and routes.

The map comes with the catalog (the SDE's ``mapRegions``/``mapSolarSystems``/``mapStargates``,
the CSV dump's ``mapRegions``/``mapSolarSystems``/``mapSolarSystemJumps``), so a haul's jumps
are counted on the same static data the recipes come from. A system carries its neighbours, so
one record says where it is and where its gates lead.
"""

from __future__ import annotations

import enum
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

import msgspec

from domain.limits import MAX_SMALL_LIST, GameId, Name


# camelCase as stored: the catalog's events keep its regions, systems and stations.
class Struct(msgspec.Struct, frozen=True, kw_only=True, rename="camel", forbid_unknown_fields=True, omit_defaults=True):
    """The catalog model's conventions (``model.Struct``), which imports these."""


Security = Annotated[float, msgspec.Meta(ge=-1.0, le=1.0)]


class Region(Struct, frozen=True):
    region_id: GameId
    name: Name


class SolarSystem(Struct, frozen=True):
    system_id: GameId
    name: Name
    region_id: GameId | None = None
    security: Security = 0.0  # the SDE's securityStatus, unrounded
    neighbours: Annotated[tuple[GameId, ...], msgspec.Meta(max_length=MAX_SMALL_LIST)] = ()  # by stargate


class Station(Struct, frozen=True):
    station_id: GameId
    name: Name
    system_id: GameId | None = None


class RouteRule(enum.Enum):
    SHORTEST = "shortest"
    SECURE = "secure"  # high-sec only: no system whose displayed security is under 0.5


HIGH_SEC = 0.5


def displayed_security(security: float) -> float:
    """The security the game shows: rounded to one decimal, halves up (0.45 shows as 0.5, so
    a 0.45 system is high-sec; 0.44 shows as 0.4, low-sec). Decimal from the text, so the
    float 0.45 (0.450000000000000011...) rounds as written."""
    return float(Decimal(repr(security)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def is_high_sec(security: float) -> bool:
    return displayed_security(security) >= HIGH_SEC


def link_jumps(systems: Iterable[SolarSystem], jumps: Iterable[tuple[int, int]]) -> tuple[SolarSystem, ...]:
    """Systems carrying their neighbours from (from, to) jump pairs; a gate works both ways,
    so either direction in the source links both. Jumps to systems not in the map are dropped."""
    by_id = {system.system_id: system for system in systems}
    neighbours: dict[int, set[int]] = {system_id: set() for system_id in by_id}
    for start, end in jumps:
        if start in by_id and end in by_id and start != end:
            neighbours[start].add(end)
            neighbours[end].add(start)
    return tuple(
        msgspec.structs.replace(system, neighbours=tuple(sorted(neighbours[system_id])))
        for system_id, system in sorted(by_id.items())
    )


class Route(msgspec.Struct, frozen=True):
    systems: tuple[int, ...]  # from the start to the destination, both included

    @property
    def jumps(self) -> int:
        return len(self.systems) - 1


def shortest_route(
    systems: Mapping[int, SolarSystem], start: int, end: int, rule: RouteRule = RouteRule.SHORTEST
) -> Route | None:
    """Fewest jumps from ``start`` to ``end`` (breadth-first: every jump counts one), None where
    no route keeps to the rule. ``secure`` enters no system under high-sec; the two ends count
    too, except that a route from a system to itself is always the empty one. Ties go to the
    lower system ids, so equal maps give equal routes."""
    if start == end:
        return Route(systems=(start,))
    allowed = _allowed(rule)
    if not allowed(systems[start]) or not allowed(systems[end]):
        return None
    came_from: dict[int, int] = {start: start}
    frontier = deque([start])
    while frontier:
        current = frontier.popleft()
        for neighbour in sorted(systems[current].neighbours):
            if neighbour in came_from or neighbour not in systems or not allowed(systems[neighbour]):
                continue
            came_from[neighbour] = current
            if neighbour == end:
                return Route(systems=_walk_back(came_from, end))
            frontier.append(neighbour)
    return None


def _allowed(rule: RouteRule) -> Callable[[SolarSystem], bool]:
    if rule is RouteRule.SECURE:
        return lambda system: is_high_sec(system.security)
    return lambda system: True


def _walk_back(came_from: Mapping[int, int], end: int) -> tuple[int, ...]:
    path = [end]
    while came_from[path[-1]] != path[-1]:
        path.append(came_from[path[-1]])
    return tuple(reversed(path))


class RouteCache:
    """Routes per (catalog, catalog version, from, to, rule): a catalog version's map never
    changes, so a route found once stays right until the next import. The map is loaded only
    on a miss; bounded, the least recently used route goes first."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._routes: OrderedDict[tuple[Hashable, int, int, int, RouteRule], Route | None] = OrderedDict()
        self._lock = threading.Lock()  # queries run on worker threads

    def route(
        self,
        catalog: Hashable,
        version: int,
        start: int,
        end: int,
        rule: RouteRule,
        systems: Callable[[], Mapping[int, SolarSystem]],
    ) -> Route | None:
        key = (catalog, version, start, end, rule)
        with self._lock:
            if key in self._routes:
                self._routes.move_to_end(key)
                return self._routes[key]
        found = shortest_route(systems(), start, end, rule)
        with self._lock:
            self._routes[key] = found
            if len(self._routes) > self._size:
                self._routes.popitem(last=False)
        return found
