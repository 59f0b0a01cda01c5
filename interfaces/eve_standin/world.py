"""What the stand-in ESI knows: characters, a corporation, their jobs, assets, skills and
blueprints, and a region's market, seeded from the sample catalog so the ids make sense
(a Rifter job uses the Rifter Blueprint, lasts the catalog's time per run, and so on).

Each route's data is a ``Dataset``: the payload ESI would serve and when it was generated
(``Last-Modified``, whole seconds as HTTP dates carry them). Tests and demos replace a
dataset through the stand-in's control routes, which publishes a new snapshot.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from application.catalog import SAMPLE_CATALOG

JITA_4_4 = 60003760  # Jita IV - Moon 4 - Caldari Navy Assembly Plant
JITA = 30000142
PERIMETER = 30000144
THE_FORGE = 10000002
STATION_CONTAINER = 17366  # not in the sample catalog: an id the catalog does not know, as the game sends


class Character(msgspec.Struct, frozen=True):
    character_id: int
    name: str
    corporation_id: int
    director: bool  # holds the roles the corporation routes ask for


class Dataset(msgspec.Struct):
    payload: list[Any] | dict[str, Any]
    last_modified: int  # Unix seconds
    paginated: bool


class StandinWorld:
    """Every route's current dataset, keyed by its path without slashes at the ends
    (``characters/2112000001/industry/jobs``)."""

    def __init__(self, characters: list[Character], datasets: dict[str, Dataset]) -> None:
        self.characters = {character.character_id: character for character in characters}
        self.datasets = datasets

    def publish(self, key: str, payload: list[Any] | dict[str, Any] | None = None) -> Dataset:
        """A new snapshot of the route (new ``Last-Modified``, strictly later than the last),
        with a new payload or the same one regenerated."""
        dataset = self.datasets[key]
        if payload is not None:
            dataset.payload = payload
        dataset.last_modified = max(int(time.time()), dataset.last_modified + 1)
        return dataset


ANN = Character(2112000001, "Ann Standin", 98000001, director=True)
BOB = Character(2112000002, "Bob Standin", 98000001, director=False)


def seed_world(catalog_path: Path = SAMPLE_CATALOG, now: datetime | None = None) -> StandinWorld:
    catalog = json.loads(catalog_path.read_text())
    at = (now or datetime.now(UTC)).replace(microsecond=0)
    times = {
        (recipe["recipeId"], activity["kind"]): activity.get("time", 0)
        for recipe in catalog["recipes"]
        for activity in recipe["activities"]
    }
    jobs = _Jobs(times, at)
    ann_jobs = [
        jobs.job(ANN, 691, 587, "manufacturing", runs=10, started=at - timedelta(hours=1)),  # Rifters, running
        jobs.job(ANN, 24699, 24698, "manufacturing", runs=2, started=at - timedelta(days=2)),  # Drakes, past end
        jobs.job(ANN, 950, 603, "manufacturing", runs=1, started=at - timedelta(days=3), status="delivered"),
        jobs.job(ANN, 691, 11372, "invention", runs=4, started=at - timedelta(days=4), status="delivered", won=1),
    ]
    corp_jobs = [jobs.job(ANN, 46206, 16673, "reaction", runs=20, started=at - timedelta(hours=5))]
    container = 1_000_000_000_100
    ann_assets = [
        _asset(1_000_000_000_001, 34, JITA_4_4, "station", 500_000),
        _asset(1_000_000_000_002, 35, JITA_4_4, "station", 120_000),
        _asset(container, STATION_CONTAINER, JITA_4_4, "station", 1, singleton=True),
        _asset(1_000_000_000_101, 36, container, "item", 40_000, flag="Unlocked"),
        _asset(1_000_000_000_102, 587, JITA_4_4, "station", 3),
    ]
    ann_skills = {
        "skills": [
            _skill(3380, 5),  # Industry
            _skill(3395, 4),  # Advanced Small Ship Construction
            _skill(3403, 4),  # Research
            _skill(3409, 3),  # Metallurgy
            _skill(45746, 4, active=2),  # Reactions: trained IV, an alpha clone uses II
        ],
        "total_sp": 5_432_100,
    }
    ann_blueprints = [
        _blueprint(1_000_000_001_001, 691, me=10, te=20),  # a researched Rifter original
        _blueprint(1_000_000_001_002, 24699, me=8, te=16, copy_runs=5),
        _blueprint(1_000_000_001_003, 11372, me=2, te=4, copy_runs=1),  # an invented Wolf copy
    ]
    corp_blueprints = [_blueprint(1_000_000_002_001, 687, me=10, te=20), _blueprint(1_000_000_002_002, 46206)]
    bob_skills = {"skills": [_skill(3380, 3)], "total_sp": 450_000}
    stamp = int(at.timestamp())
    datasets = {
        f"characters/{ANN.character_id}/industry/jobs": Dataset(ann_jobs, stamp, paginated=False),
        f"characters/{ANN.character_id}/assets": Dataset(ann_assets, stamp, paginated=True),
        f"characters/{ANN.character_id}/skills": Dataset(ann_skills, stamp, paginated=False),
        f"characters/{ANN.character_id}/blueprints": Dataset(ann_blueprints, stamp, paginated=True),
        f"characters/{BOB.character_id}/industry/jobs": Dataset([], stamp, paginated=False),
        f"characters/{BOB.character_id}/assets": Dataset([], stamp, paginated=True),
        f"characters/{BOB.character_id}/skills": Dataset(bob_skills, stamp, paginated=False),
        f"characters/{BOB.character_id}/blueprints": Dataset([], stamp, paginated=True),
        f"corporations/{ANN.corporation_id}/industry/jobs": Dataset(corp_jobs, stamp, paginated=True),
        f"corporations/{ANN.corporation_id}/blueprints": Dataset(corp_blueprints, stamp, paginated=True),
        f"markets/{THE_FORGE}/orders": Dataset(_orders(at), stamp, paginated=True),
        "markets/prices": Dataset(_prices(catalog), stamp, paginated=False),
        "industry/systems": Dataset(_systems(), stamp, paginated=False),
    }
    return StandinWorld([ANN, BOB], datasets)


class _Jobs:
    """Jobs numbered in order, lasting the catalog's time per run."""

    ACTIVITY_IDS = {"manufacturing": 1, "invention": 8, "reaction": 11}

    def __init__(self, times: dict[tuple[int, str], int], now: datetime) -> None:
        self.times = times
        self.now = now
        self.next_id = 500_000_001

    def job(
        self,
        installer: Character,
        blueprint: int,
        product: int,
        activity: str,
        *,
        runs: int,
        started: datetime,
        status: str = "active",
        won: int | None = None,
    ) -> dict[str, Any]:
        duration = self.times[(blueprint, activity)] * runs
        end = started + timedelta(seconds=duration)
        job: dict[str, Any] = {
            "job_id": self.next_id,
            "installer_id": installer.character_id,
            "facility_id": JITA_4_4,
            "station_id": JITA_4_4,
            "activity_id": self.ACTIVITY_IDS[activity],
            "blueprint_id": 1_000_000_001_001,
            "blueprint_type_id": blueprint,
            "blueprint_location_id": JITA_4_4,
            "output_location_id": JITA_4_4,
            "runs": runs,
            "cost": 125_000.0 * runs,
            "licensed_runs": runs,
            "product_type_id": product,
            "status": status,
            "duration": duration,
            "start_date": _iso(started),
            "end_date": _iso(end),
        }
        if activity == "invention":
            job["probability"] = 0.3
        if status == "delivered":
            job |= {"completed_date": _iso(end), "completed_character_id": installer.character_id}
            if won is not None:
                job["successful_runs"] = won
        self.next_id += 1
        return job


def _asset(
    item_id: int,
    type_id: int,
    location: int,
    kind: str,
    quantity: int,
    *,
    singleton: bool = False,
    flag: str = "Hangar",
) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "type_id": type_id,
        "location_id": location,
        "location_flag": flag,
        "location_type": kind,
        "quantity": quantity,
        "is_singleton": singleton,
    }


def _skill(skill_id: int, trained: int, *, active: int | None = None) -> dict[str, Any]:
    points = {1: 250, 2: 1_415, 3: 8_000, 4: 45_255, 5: 256_000}[trained]
    level = trained if active is None else active
    return {
        "skill_id": skill_id,
        "trained_skill_level": trained,
        "active_skill_level": level,
        "skillpoints_in_skill": points,
    }


def _blueprint(item_id: int, type_id: int, *, me: int = 0, te: int = 0, copy_runs: int | None = None) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "type_id": type_id,
        "location_id": JITA_4_4,
        "location_flag": "Hangar",
        "quantity": -2 if copy_runs else -1,
        "material_efficiency": me,
        "time_efficiency": te,
        "runs": copy_runs or -1,
    }


def _orders(now: datetime) -> list[dict[str, Any]]:
    """A few sell and buy orders per mineral and hull, at Jita 4-4."""
    quotes = {34: 4.1, 35: 9.8, 36: 52.0, 37: 160.0, 587: 410_000.0, 24698: 52_000_000.0}
    orders = []
    order_id = 6_000_000_001
    for type_id, price in quotes.items():
        for is_buy, factor in ((False, 1.0), (False, 1.02), (True, 0.93)):
            orders.append(
                {
                    "order_id": order_id,
                    "type_id": type_id,
                    "location_id": JITA_4_4,
                    "system_id": JITA,
                    "is_buy_order": is_buy,
                    "price": round(price * factor, 2),
                    "volume_remain": 10_000,
                    "volume_total": 20_000,
                    "min_volume": 1,
                    "range": "region" if is_buy else "station",
                    "issued": _iso(now - timedelta(hours=order_id % 48)),
                    "duration": 90,
                }
            )
            order_id += 1
    return orders


def _prices(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    """An adjusted and average price for every published catalog item (made up, stable)."""
    return [
        {
            "type_id": item["typeId"],
            "adjusted_price": 10.0 + item["typeId"] % 997,
            "average_price": 11.0 + item["typeId"] % 991,
        }
        for item in catalog["items"]
        if item.get("published", True)
    ]


def _systems() -> list[dict[str, Any]]:
    activities = (
        "manufacturing",
        "researching_time_efficiency",
        "researching_material_efficiency",
        "copying",
        "invention",
        "reaction",
    )
    return [
        {"solar_system_id": system, "cost_indices": [{"activity": a, "cost_index": base} for a in activities]}
        for system, base in ((JITA, 0.0712), (PERIMETER, 0.0534))
    ]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
