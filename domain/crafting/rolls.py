"""Deterministic randomness: seeds and output rolls as pure functions of stable inputs.

Each job's seed is a hash of its manager's key (world seed + manager id) and the job's
sequence number; each roll is a hash of (job seed, cycle, output index). This is a
counter-based generator: it behaves like a seeded generator per job, yet there is no state
to advance or persist, each output's roll is independent of every other's, and a restored
job rolls exactly what the original would have. splitmix64 is used for the mixing: it is
tiny, fast in pure Python and well distributed (it seeds xoshiro in the reference code).
Python's ``hash()`` is never used: it is salted per process.
"""

from __future__ import annotations

import hashlib

from domain.crafting.recipes import ItemStack, ItemYield

_MASK = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15
_TO_UNIT = 1.0 / (1 << 53)


def splitmix64(value: int) -> int:
    """One splitmix64 step: a 64-bit bijective mix of ``value``."""
    z = (value + _GAMMA) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def manager_key(world_seed: int, manager_id: str) -> int:
    """A manager's stream key: managers sharing a world seed still roll independently."""
    digest = int.from_bytes(hashlib.blake2b(manager_id.encode(), digest_size=8).digest(), "little")
    return splitmix64((world_seed & _MASK) ^ digest)


def job_seed(key: int, seq: int) -> int:
    """The seed of a manager's ``seq``-th job: 63 bits, so it fits a signed BIGINT column."""
    return splitmix64(key ^ splitmix64(seq)) >> 1


def roll(seed: int, cycle: int, index: int) -> float:
    """A uniform number in [0, 1) for output ``index`` of cycle ``cycle`` (0-based) of a job."""
    return (splitmix64(seed ^ splitmix64((cycle << 20) ^ index)) >> 11) * _TO_UNIT


def roll_outputs(outputs: tuple[ItemYield, ...], seed: int, cycle: int) -> tuple[ItemStack, ...]:
    """The items one cycle produces: each output kept if its own roll falls under its probability.

    Certain outputs (probability 1) are not rolled: there is nothing to decide. Quantities of
    the same item are summed, in output order.
    """
    produced: dict[str, int] = {}
    for index, output in enumerate(outputs):
        if output.quantity <= 0:
            continue
        if output.probability < 1.0 and roll(seed, cycle, index) >= output.probability:
            continue
        produced[output.item] = produced.get(output.item, 0) + output.quantity
    return tuple(ItemStack(item, quantity) for item, quantity in produced.items())
