"""Invention: a Tech I blueprint copy turned, with a chance, into a Tech II one, and what a
decryptor changes. Game mechanics only; what it costs is ``domain/economics/invention.py``'s.

Sources (checked 2026):
- The chance: ``base × (1 + (science 1 + science 2) / 30 + encryption / 40) × decryptor
  multiplier``, the skills being the levels of the two science skills and the encryption method
  the invention requires: EVE Ref's industry calculator (autonomouslogic/eve-ref
  ``InventionCalculator.inventionProbability``), as ``../shared/notes/industry.md`` states it
  (there with the decryptor as ``1 + modifier``, the same number). The base chance is the SDE's
  (``industryActivityProbabilities``: Hobgoblin I → II 0.34, Rifter → Wolf 0.3).
- The invented copy: ME 2 and TE 4 whatever the Tech I copy's, and the invention product's
  quantity in runs (``industryActivityProducts``: 10 for the Hobgoblin II, 1 for the Wolf), then
  the decryptor's modifiers added: EVE University wiki "Invention" (citing CCP Greyscale's
  Crius dev blog "EVE Industry - All you want to know", 2014-07-18), EVE Ref's
  ``InventionCalculator`` (``INVENTION_BASE_ME``/``TE``, ``runsPerCopy``).
- Each attempt consumes the Tech I copy, the datacores and the decryptor, won or lost (the EVE
  Online wiki's "Invention": "An invention job will always destroy the Tech I BPC, datacores
  [...] and decryptors"). The Tech II copy's runs are fixed ("a single run on a ship or rig BPC,
  and 10 runs on everything else", EVE University "Invention"), not the Tech I copy's, so one
  single-run copy serves an attempt.
- Attempts are independent trials: ``1 / p`` are expected for one success, and ``n`` attempts
  succeed at least once with probability ``1 − (1 − p)^n``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import msgspec

from domain.catalog.model import ActivityKind, Decryptor, Material, Recipe
from domain.errors import InvalidInput

INVENTED_ME = 2
INVENTED_TE = 4
MAX_SKILL_LEVEL = 5


class InventionSkills(msgspec.Struct, frozen=True, kw_only=True):
    """The inventor's levels of the three skills an invention requires."""

    encryption: int = MAX_SKILL_LEVEL  # the encryption method (e.g. Gallente Encryption Methods)
    science1: int = MAX_SKILL_LEVEL  # the two science skills (e.g. Graviton Physics, Electronic Engineering)
    science2: int = MAX_SKILL_LEVEL

    def __post_init__(self) -> None:
        for field in ("encryption", "science1", "science2"):
            if not 0 <= getattr(self, field) <= MAX_SKILL_LEVEL:
                raise InvalidInput(f"{field} is a skill level from 0 to {MAX_SKILL_LEVEL}", field)


class Invention(msgspec.Struct, frozen=True, kw_only=True):
    """How the catalog says a Tech II item is invented: the Tech I blueprint whose copy each
    attempt consumes, what else an attempt takes, and the Tech II blueprint a success delivers,
    with the manufacturing inputs of both blueprints (what the copying and invention jobs are
    valued on, and what an invented copy builds from)."""

    product_type_id: int  # the Tech II item
    blueprint_id: int  # the Tech I blueprint: copied, then invented from
    invented_blueprint_id: int  # the Tech II blueprint of the copy a success delivers
    base_probability: float
    base_runs: int  # runs of an invented copy before a decryptor
    time: int  # seconds per attempt
    materials: tuple[Material, ...]  # consumed by each attempt: the datacores
    skills: tuple[int, ...]  # required skill type ids: an encryption method and two sciences
    copy_time: int | None  # seconds per run copying the Tech I blueprint; None: no copying in the catalog
    copied_materials: tuple[Material, ...]  # the Tech I blueprint's manufacturing inputs per run
    invented_materials: tuple[Material, ...]  # the Tech II blueprint's manufacturing inputs per run
    units_per_run: int  # Tech II units a manufacturing run makes


class InventionOption(msgspec.Struct, frozen=True, kw_only=True):
    """Inventing with one decryptor (or none): the chance, the copy a success delivers, what each
    attempt consumes, and how many attempts to plan for."""

    decryptor_type_id: int | None
    probability: float
    runs_per_copy: int
    me: int
    te: int
    materials: tuple[Material, ...]  # per attempt: the datacores, the decryptor and the Tech I copy
    attempts_expected: float  # 1 / probability
    attempts_for_confidence: int  # the fewest attempts that succeed at least once with the confidence asked


def inventions(recipes: Iterable[Recipe]) -> dict[int, Invention]:
    """Every Tech II item the recipes invent -> how (where several Tech I blueprints invent it,
    the lowest blueprint id). An invention needs both blueprints' manufacturing in the catalog
    (what a copy is of, and what the invented copy makes) and a chance above 0."""
    by_id = {recipe.recipe_id: recipe for recipe in recipes}
    found: dict[int, Invention] = {}
    for recipe in sorted(by_id.values(), key=lambda recipe: recipe.recipe_id):
        invention = recipe.activity(ActivityKind.INVENTION)
        copied = recipe.activity(ActivityKind.MANUFACTURING)
        if invention is None or copied is None:
            continue
        copying = recipe.activity(ActivityKind.COPYING)
        for product in invention.products:
            invented = by_id.get(product.type_id)
            made = invented.activity(ActivityKind.MANUFACTURING) if invented else None
            if made is None or not made.products or not product.probability:
                continue
            found.setdefault(
                made.products[0].type_id,
                Invention(
                    product_type_id=made.products[0].type_id,
                    blueprint_id=recipe.recipe_id,
                    invented_blueprint_id=product.type_id,
                    base_probability=product.probability,
                    base_runs=product.quantity,
                    time=invention.time,
                    materials=invention.materials,
                    skills=tuple(skill.type_id for skill in invention.skills),
                    copy_time=copying.time if copying else None,
                    copied_materials=copied.materials,
                    invented_materials=made.materials,
                    units_per_run=max(made.products[0].quantity, 1),
                ),
            )
    return found


def invention_probability(base: float, skills: InventionSkills, decryptor: Decryptor | None = None) -> float:
    """The chance of one attempt; never above 1 (a chance cannot pass certainty)."""
    bonus = 1 + (skills.science1 + skills.science2) / 30 + skills.encryption / 40
    multiplier = decryptor.probability_multiplier if decryptor else 1.0
    return min(base * bonus * multiplier, 1.0)


def attempts_for_confidence(probability: float, confidence: float) -> int:
    """The smallest ``n`` with ``1 − (1 − p)^n ≥ confidence``: ``log(1 − c) / log(1 − p)``
    rounded up, then checked on both sides, since the logarithms' rounding can land a whole
    attempt off where the quotient is (nearly) whole."""
    _check_confidence(confidence)
    if not 0 < probability <= 1:
        raise InvalidInput("the chance must be above 0 and at most 1", "probability")
    if probability == 1:
        return 1
    attempts = max(1, math.ceil(math.log1p(-confidence) / math.log1p(-probability)))
    while attempts > 1 and _succeeds(probability, attempts - 1, confidence):
        attempts -= 1
    while not _succeeds(probability, attempts, confidence):
        attempts += 1
    return attempts


def attempts_for_successes(probability: float, successes: int, confidence: float | None) -> int:
    """Attempts to plan for ``successes`` invented copies: ``ceil(successes / p)`` on expected
    value (``confidence`` None: whole attempts, as a job's runs are), else the fewest ``n`` whose
    chance of at least ``successes`` wins, ``P(Binomial(n, p) >= successes)``, reaches the
    confidence (for one success, ``attempts_for_confidence``)."""
    if successes < 1:
        return 0
    if confidence is None:
        return math.ceil(successes / probability - 1e-9)  # 1 / 0.5 is 2 attempts, not 3
    if successes == 1:
        return attempts_for_confidence(probability, confidence)
    _check_confidence(confidence)
    attempts = max(successes, math.ceil(successes / probability))
    while _at_least(probability, attempts, successes) < confidence:
        attempts += 1
    return attempts


class InventionPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How a plan or a bill counts invention: attempts on expected value or at a confidence,
    the inventor's skills, and the decryptor chosen per Tech II blueprint (none where absent)."""

    confidence: float | None = None  # None: expected value
    skills: InventionSkills = InventionSkills()
    decryptors: Mapping[int, tuple[int, Decryptor]] = {}  # invented blueprint -> (decryptor type id, effects)

    def __post_init__(self) -> None:
        if self.confidence is not None:
            _check_confidence(self.confidence)

    def decryptor(self, blueprint_id: int) -> tuple[int, Decryptor] | None:
        return self.decryptors.get(blueprint_id)

    def probability(self, blueprint_id: int, base: float) -> float:
        chosen = self.decryptor(blueprint_id)
        return invention_probability(base, self.skills, chosen[1] if chosen else None)

    def runs_per_copy(self, blueprint_id: int, base_runs: int) -> int:
        chosen = self.decryptor(blueprint_id)
        return base_runs + (chosen[1].runs_modifier if chosen else 0)

    def invented_levels(self, blueprint_id: int) -> tuple[int, int]:
        """ME and TE of the copies this policy invents."""
        chosen = self.decryptor(blueprint_id)
        return (
            INVENTED_ME + (chosen[1].me_modifier if chosen else 0),
            INVENTED_TE + (chosen[1].te_modifier if chosen else 0),
        )

    def attempts(self, blueprint_id: int, base: float, copies: int) -> int:
        return attempts_for_successes(self.probability(blueprint_id, base), copies, self.confidence)


def invention_options(
    invention: Invention, decryptors: Mapping[int, Decryptor], skills: InventionSkills, confidence: float
) -> tuple[InventionOption, ...]:
    """Inventing without a decryptor, then with each of ``decryptors`` (by type id)."""
    _check_confidence(confidence)
    choices: list[tuple[int | None, Decryptor | None]] = [(None, None), *sorted(decryptors.items())]
    return tuple(_option(invention, type_id, decryptor, skills, confidence) for type_id, decryptor in choices)


def _option(
    invention: Invention,
    decryptor_type_id: int | None,
    decryptor: Decryptor | None,
    skills: InventionSkills,
    confidence: float,
) -> InventionOption:
    probability = invention_probability(invention.base_probability, skills, decryptor)
    consumed = [*invention.materials, Material(type_id=invention.blueprint_id, quantity=1)]
    if decryptor_type_id is not None:
        consumed.insert(len(invention.materials), Material(type_id=decryptor_type_id, quantity=1))
    return InventionOption(
        decryptor_type_id=decryptor_type_id,
        probability=probability,
        runs_per_copy=invention.base_runs + (decryptor.runs_modifier if decryptor else 0),
        me=INVENTED_ME + (decryptor.me_modifier if decryptor else 0),
        te=INVENTED_TE + (decryptor.te_modifier if decryptor else 0),
        materials=tuple(consumed),
        attempts_expected=1 / probability,
        attempts_for_confidence=attempts_for_confidence(probability, confidence),
    )


def _at_least(probability: float, attempts: int, successes: int) -> float:
    """``P(Binomial(attempts, probability) >= successes)``, summed exactly over the misses."""
    below = sum(
        math.comb(attempts, wins) * probability**wins * (1 - probability) ** (attempts - wins)
        for wins in range(successes)
    )
    return 1 - below


def _succeeds(probability: float, attempts: int, confidence: float) -> bool:
    return 1 - (1 - probability) ** attempts >= confidence


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise InvalidInput("confidence must be above 0 and below 1", "confidence")
