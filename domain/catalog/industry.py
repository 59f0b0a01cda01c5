"""EVE Online industry formulas: materials per job with ME, and job time with TE and skills.

Sources (checked 2026-11): the EVE University wiki, "Industry" and "Material Efficiency"
pages (materials: ``max(runs, ceil(round(runs × base × modifier, 2)))`` per job, the bonuses
multiplying; reactions take no ME), CCP's Upwell engineering-complex and rig descriptions
(Raitaru/Azbel/Sotiyo 1% material, 15/20/30% time; ME rigs T1 2.0%, T2 2.4%; TE rigs T1 20%,
T2 24%; rig security multipliers high-sec 1.0, low-sec 1.9, null-sec/wormhole 2.1), and
Fuzzwork's and Hoboleaks' published checks: the Golem's Morphite (base 975, ME 1, Raitaru,
T1 rig, null-sec) is 916 for one run, and 20 runs of a base-1 input at ME 8 with 1% structure
bonus need 20, not 19. The round to two decimals before the ceiling is the game's rule: 201 × 0.99 ×
0.99 = 197.0001 costs 197 units, not 198.

Both roundings are the game client's own (its ``industry`` package, ``industry/job.py``, as
decompiled in the public repository grio43/eve-source, ``src/_decomp/industry/job.py``, release
V22.02 and an older one alike): ``Job._get_materials`` takes
``max(int(ceil(round(quantity, MATERIAL_ROUND_PRECISION))), runs)``, and ``Job._get_time``
multiplies the activity's base time × runs by every time modifier, then returns
``timedelta(seconds=long(round(seconds)))``: whole seconds, rounded once at the end to the
nearest, halves away from zero (Python 2's ``round``), which is what ESI reports as a job's
``duration``. The same file checks required skills as ``MISSING_SKILL`` when the character's
level of a required skill (0 if untrained) is below the required level.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable

import msgspec

from domain.catalog.model import ActivityKind
from domain.errors import InvalidInput
from domain.limits import Fraction

SCIENCE_SKILL = 3402  # the Science skill's type id


class Security(enum.Enum):
    HIGH = "high"
    LOW = "low"
    NULL = "null"  # null-sec and wormholes

    @property
    def rig_multiplier(self) -> float:
        return {Security.HIGH: 1.0, Security.LOW: 1.9, Security.NULL: 2.1}[self]


class Structure(enum.Enum):
    """The Upwell structures industry runs in, with their role bonuses (the module's sources;
    refineries from EVE University's "Upwell Refineries": the Tatara reacts 25% faster, the
    Athanor has no industry bonus). Engineering complexes build; refineries react."""

    RAITARU = "raitaru"
    AZBEL = "azbel"
    SOTIYO = "sotiyo"
    ATHANOR = "athanor"
    TATARA = "tatara"

    @property
    def material_bonus(self) -> float:
        return 0.01 if self in _ENGINEERING_TIME else 0.0

    @property
    def time_bonus(self) -> float:
        return _ENGINEERING_TIME.get(self, 0.25 if self is Structure.TATARA else 0.0)


_ENGINEERING_TIME = {Structure.RAITARU: 0.15, Structure.AZBEL: 0.20, Structure.SOTIYO: 0.30}


class RigGrade(enum.Enum):
    """A material or time rig's tech level: T1 2.0% / 20%, T2 2.4% / 24% before the
    security multiplier (manufacturing and reaction rigs alike)."""

    T1 = "t1"
    T2 = "t2"

    @property
    def material_bonus(self) -> float:
        return 0.02 if self is RigGrade.T1 else 0.024

    @property
    def time_bonus(self) -> float:
        return 0.20 if self is RigGrade.T1 else 0.24


# camelCase as stored: the events keep a job's spec (JobQueued) and a plan's steps with their facility.
class Facility(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Where a job runs. Bonuses are fractions (0.01 = 1%): given as numbers (any facility),
    or derived from a named ``structure`` and its rigs, which then fill the numbers."""

    structure_material_bonus: Fraction = 0.0  # engineering complexes: 0.01
    structure_time_bonus: Fraction = 0.0  # Raitaru 0.15, Azbel 0.20, Sotiyo 0.30
    rig_material_bonus: Fraction = 0.0  # T1 ME rig 0.02, T2 0.024
    rig_time_bonus: Fraction = 0.0  # T1 TE rig 0.20, T2 0.24
    security: Security = Security.HIGH
    structure: Structure | None = None
    material_rig: RigGrade | None = None
    time_rig: RigGrade | None = None

    def __post_init__(self) -> None:
        if self.structure is None:
            if self.material_rig is not None or self.time_rig is not None:
                field = "material_rig" if self.material_rig is not None else "time_rig"
                raise InvalidInput("rigs are fitted to a structure: name the structure", field)
            return
        derived = {
            "structure_material_bonus": self.structure.material_bonus,
            "structure_time_bonus": self.structure.time_bonus,
            "rig_material_bonus": self.material_rig.material_bonus if self.material_rig else 0.0,
            "rig_time_bonus": self.time_rig.time_bonus if self.time_rig else 0.0,
        }
        for field, value in derived.items():
            given = getattr(self, field)
            if given not in (0.0, value):
                name = field.split("_")[0] + "".join(word.title() for word in field.split("_")[1:])
                raise InvalidInput(f"{name} comes from the named structure and rigs ({value})", field)
            msgspec.structs.force_setattr(self, field, value)


NPC_STATION = Facility()


class Skills(msgspec.Struct, frozen=True, kw_only=True):
    industry: int = 0  # 4% per level
    advanced_industry: int = 0  # 3% per level
    reactions: int = 0  # 4% per level, for reactions instead of the two above
    science: dict[int, int] = {}  # science skill type id -> level, 1% per level


def material_modifier(me: int, facility: Facility, *, reaction: bool = False) -> float:
    """The factor applied to every base quantity of a job (reactions ignore ME)."""
    blueprint = 1.0 if reaction else 1.0 - me / 100
    rig = 1.0 - facility.rig_material_bonus * facility.security.rig_multiplier
    return blueprint * (1.0 - facility.structure_material_bonus) * rig


def job_quantity(base: int, runs: int, modifier: float) -> int:
    """Units of one input for a job of ``runs`` runs: rounded per job (to two decimals, then
    up), never below one per run."""
    if base <= 0 or runs <= 0:
        return 0
    return max(runs, math.ceil(round(runs * base * modifier, 2)))


def job_time(
    base_seconds: int,
    runs: int,
    te: int,
    facility: Facility,
    skills: Skills,
    *,
    activity: ActivityKind = ActivityKind.MANUFACTURING,
    required: Iterable[int] = (),
) -> int:
    """Whole seconds for a job of ``runs`` runs, as the game reports them: base × runs × every
    modifier, rounded once to the nearest second (halves up; see the module's text). So ten
    Rifter runs at TE 20 with Industry and Advanced Industry V take 32,640 s, not the
    32,640.000000000004 the floats multiply to.

    The skills per activity: manufacturing, Industry 4% and Advanced Industry 3% a level, and
    1% a level of each science skill the blueprint ``required``; reactions, Reactions 4%;
    copying, Advanced Industry 3% and Science 5% ("5% bonus to blueprint copying speed per
    level", EVE University "Research"); invention, Advanced Industry 3% (its skills raise the
    chance, not the speed). Only manufacturing reads the blueprint's TE."""
    skill_factor, blueprint = 1.0, 1.0
    if activity is ActivityKind.REACTION:
        skill_factor = 1.0 - 0.04 * skills.reactions
    elif activity is ActivityKind.MANUFACTURING:
        skill_factor = (1.0 - 0.04 * skills.industry) * (1.0 - 0.03 * skills.advanced_industry)
        blueprint = 1.0 - te / 100
        for skill in required:
            skill_factor *= 1.0 - 0.01 * skills.science.get(skill, 0)
    else:
        skill_factor = 1.0 - 0.03 * skills.advanced_industry
        if activity is ActivityKind.COPYING:
            skill_factor *= 1.0 - 0.05 * skills.science.get(SCIENCE_SKILL, 0)
    rig = 1.0 - facility.rig_time_bonus * facility.security.rig_multiplier
    return whole_seconds(base_seconds * runs * blueprint * skill_factor * (1.0 - facility.structure_time_bonus) * rig)


def whole_seconds(seconds: float) -> int:
    """The game's rounding of a job's time: to the nearest second, halves up (Python 2's
    ``round`` takes halves away from zero; Python 3's would take them to the even second)."""
    return math.floor(seconds + 0.5)


def validate_levels(me: int, te: int) -> None:
    if not 0 <= me <= 10:
        raise InvalidInput("ME must be between 0 and 10", "me")
    if not 0 <= te <= 20:
        raise InvalidInput("TE must be between 0 and 20", "te")
