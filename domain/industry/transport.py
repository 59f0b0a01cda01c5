"""Transport profiles: how a user moves goods between stations, and what a haul costs by one.

A profile names a method (a freighter, a jump freighter, a deep-space transport, a blockade
runner, or a courier contract someone else flies), its rates, the collateral rate, the most a
trip carries (``max_volume``, the hold in m³) and the route rule its pilot keeps to. Each user
has one ``TransportProfiles`` aggregate (its id derived from the user's, like the webhooks),
so the rule "at most one default profile" is checked in one place: the default is per user,
not per method, because a plan that names no profile needs exactly one answer.

The costs follow the seed system's (pinky.tools, docs/features/transportation.md), but a
haul's goods are charged once, whatever number of trips carries them (the seed multiplies the
whole haul's charge by its trips, so 400,000 m³ in two trips would be charged as 800,000 m³):

- a ship (every method but the courier contract): ``trips = ceil(volume / max_volume)`` and
  ``cost = volume × rate_per_m3_per_jump × jumps + collateral × collateral_rate`` (each trip
  carries its share of the volume and of the value insured);
- a courier contract: ``cost = volume × rate_per_m3 + collateral × collateral_rate`` (plus
  ``volume × rate_per_m3_per_jump × jumps`` when it is also priced per jump), split into
  ``trips`` contracts of at most ``max_volume`` when it has one (the contracts' prices sum to
  the same, so the trips do not multiply it).

A jump freighter is costed like the gate ships, on the gate route's jumps: the map has no
cyno routes or light-year distances.
"""

from __future__ import annotations

import enum
import math
import uuid
from typing import Any
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.catalog.universe import RouteRule
from domain.errors import NotFound, RuleViolation
from domain.events import CommandMeta, Event
from domain.limits import MAX_AMOUNT

_PROFILES_NAMESPACE = UUID("3b0f4f8e-6c1d-4d3a-9a52-7e8b2c4d1f60")
MAX_PROFILES = 50  # per user
MAX_NAME = 100
MIN_HOLD = 1.0  # m³: no hold is smaller, and trips are counted by dividing by it


class TransportMethod(enum.Enum):
    FREIGHTER = "freighter"
    JUMP_FREIGHTER = "jump_freighter"
    DEEP_SPACE_TRANSPORT = "dst"
    BLOCKADE_RUNNER = "blockade_runner"
    COURIER_CONTRACT = "courier_contract"

    @property
    def flown_by_user(self) -> bool:
        """A ship of the user's: it has a hold (``max_volume``) and is paid per jump."""
        return self is not TransportMethod.COURIER_CONTRACT


# camelCase as stored: TransportProfileAdded and TransportProfileChanged keep the profile.
class TransportProfile(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One way of hauling, as saved: ``profile_id`` is the aggregate's key for it."""

    profile_id: UUID
    name: str
    method: TransportMethod
    rate_per_m3: float = 0.0  # a courier contract's flat ISK per m³
    rate_per_m3_per_jump: float = 0.0  # ISK per m³ per gate jump
    collateral_rate: float = 0.0  # a fraction of the goods' value
    max_volume: float | None = None  # m³ one trip carries; None: a courier contract without a limit
    route_rule: RouteRule = RouteRule.SHORTEST
    is_default: bool = False

    def validated(self) -> TransportProfile:
        """The profile if every field holds, else a RuleViolation (422) naming the field: the
        request's shape takes any number, the rules are the domain's, in one place."""
        name = self.name.strip()
        if not name or len(name) > MAX_NAME:
            raise RuleViolation(f"name must be 1-{MAX_NAME} characters", "name")
        for field, shown, value in (
            ("rate_per_m3", "ratePerM3", self.rate_per_m3),
            ("rate_per_m3_per_jump", "ratePerM3PerJump", self.rate_per_m3_per_jump),
        ):
            if not 0 <= value <= MAX_AMOUNT:
                raise RuleViolation(f"{shown} must be 0 or more", field)
        if not 0 <= self.collateral_rate <= 1:
            raise RuleViolation("collateralRate is a fraction between 0 and 1", "collateral_rate")
        if self.max_volume is not None and not MIN_HOLD <= self.max_volume <= MAX_AMOUNT:
            raise RuleViolation(f"maxVolume must be at least {MIN_HOLD:g} m³", "max_volume")
        if self.method.flown_by_user:
            if self.max_volume is None:
                raise RuleViolation(f"a {self.method.value} needs maxVolume: the m³ its hold carries", "max_volume")
            if self.rate_per_m3:
                raise RuleViolation("ratePerM3 is a courier contract's flat rate; a ship's is per jump", "rate_per_m3")
        return msgspec.structs.replace(self, name=name)


class HaulTerms(msgspec.Struct, frozen=True, kw_only=True):
    """What one haul of ``volume`` m³ worth ``collateral`` costs by a profile over ``jumps``."""

    trips: int
    cost: float | None  # None: it is charged per jump and the route is unknown


def haul_terms(profile: TransportProfile, volume: float, collateral: float, jumps: int | None) -> HaulTerms:
    """The trips and cost of a haul (see the module's docstring); ``collateral`` 0 when the
    goods' value is unknown, ``jumps`` None when no route is known."""
    trips = max(1, math.ceil(volume / profile.max_volume)) if profile.max_volume else 1
    per_jump = profile.rate_per_m3_per_jump
    if per_jump and jumps is None:
        return HaulTerms(trips=trips, cost=None)
    carried = volume * per_jump * (jumps or 0)
    insured = collateral * profile.collateral_rate
    flat = 0.0 if profile.method.flown_by_user else volume * profile.rate_per_m3
    return HaulTerms(trips=trips, cost=round(flat + carried + insured, 2))


def transport_profiles_id(owner_id: UUID) -> UUID:
    return uuid.uuid5(_PROFILES_NAMESPACE, str(owner_id))


class TransportProfiles(Aggregate):
    """A user's transport profiles, and which one is their default."""

    profiles: dict[UUID, TransportProfile]
    default_id: UUID | None

    @classmethod
    def open(cls, owner_id: UUID, meta: CommandMeta) -> TransportProfiles:
        return cls._create(TransportProfilesOpened, transport_profiles_id(owner_id), meta=meta, owner_id=owner_id)

    def add(self, profile: TransportProfile, meta: CommandMeta) -> TransportProfile:
        """Save a new profile (its id chosen by the caller); as the default, it takes over."""
        if len(self.profiles) >= MAX_PROFILES:
            raise RuleViolation(f"at most {MAX_PROFILES} transport profiles per user; remove one first", "name")
        if profile.profile_id in self.profiles:
            raise RuleViolation("a profile with this id exists", "profile_id")
        self._record(TransportProfileAdded, meta=meta, profile=profile.validated())
        return self.profile(profile.profile_id)

    def change(self, profile: TransportProfile, meta: CommandMeta) -> TransportProfile:
        """Replace a profile's fields (the same id); the same fields record nothing."""
        current = self.profile(profile.profile_id)
        profile = profile.validated()
        if profile != current:
            self._record(TransportProfileChanged, meta=meta, profile=profile)
        return self.profile(profile.profile_id)

    def remove(self, profile_id: UUID, meta: CommandMeta) -> None:
        self.profile(profile_id)
        self._record(TransportProfileRemoved, meta=meta, profile_id=profile_id)

    def profile(self, profile_id: UUID) -> TransportProfile:
        """The profile as shown (``is_default`` from the aggregate's one default)."""
        try:
            saved = self.profiles[profile_id]
        except KeyError:
            raise NotFound("transport profile not found", "profile_id") from None
        return msgspec.structs.replace(saved, is_default=profile_id == self.default_id)

    def shown(self) -> list[TransportProfile]:
        """Every profile as shown, in the order they were added."""
        return [self.profile(profile_id) for profile_id in self.profiles]

    def state(self) -> TransportProfilesState:
        return TransportProfilesState(profiles=tuple(self.shown()), default_id=self.default_id)

    def _saved(self, profile: TransportProfile) -> None:
        self.profiles[profile.profile_id] = profile
        if profile.is_default:
            self.default_id = profile.profile_id
        elif self.default_id == profile.profile_id:
            self.default_id = None


class TransportProfilesState(msgspec.Struct, frozen=True, kw_only=True):
    """A user's profiles as of one version (audit's as-of read)."""

    profiles: tuple[TransportProfile, ...]
    default_id: UUID | None


class TransportProfilesOpened(Event, frozen=True):
    owner_id: UUID

    def apply(self, aggregate: Any) -> TransportProfiles:
        profiles = TransportProfiles(self.originator_id, self.owner_id, self.timestamp)
        profiles.profiles = {}
        profiles.default_id = None
        return profiles


class TransportProfileAdded(Event, frozen=True):
    """A new profile; when it ``is_default``, it is the user's default from now on (the one
    before is not any more)."""

    profile: TransportProfile

    def apply(self, aggregate: TransportProfiles) -> TransportProfiles:
        aggregate._saved(self.profile)
        return aggregate


class TransportProfileChanged(Event, frozen=True):
    """A profile's fields replaced; its ``is_default`` as for ``TransportProfileAdded`` (false
    on the default leaves the user with none)."""

    profile: TransportProfile

    def apply(self, aggregate: TransportProfiles) -> TransportProfiles:
        aggregate._saved(self.profile)
        return aggregate


class TransportProfileRemoved(Event, frozen=True):
    profile_id: UUID

    def apply(self, aggregate: TransportProfiles) -> TransportProfiles:
        aggregate.profiles.pop(self.profile_id, None)
        if aggregate.default_id == self.profile_id:
            aggregate.default_id = None
        return aggregate
