"""What the stand-in ESI knows: characters, a corporation, their jobs, assets, skills and
blueprints, and a region's market, seeded from the sample catalog so the ids make sense
(a Rifter job uses the Rifter Blueprint, lasts the catalog's time per run, and so on).

The corporation 98000001 has three members with the roles players give: Ann a director (she
reads everything), Cat its factory manager (its industry jobs, not its blueprints nor its
assets), Bob none. Its jobs are run by its members with its own blueprints, and come in the
corporation route's shape (``location_id`` where the character route says ``station_id``).
Its assets are in its offices (type 27, flagged ``OfficeFolder``) at Jita 4-4 and at a
structure in Perimeter, in hangar divisions (``CorpSAG1..7``), some in a named container.

Two Upwell structures: the Perimeter market hub, where Ann may dock (``docking``), and a
private one where she keeps Isogen but may not dock any more (its route answers her 403).
Players' names for their containers are in ``item_names`` (the asset-names routes answer
``None`` for the others).

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
OFFICE = 27  # a corporation's office: the type its hangars' items are located in
MARKET_HUB = 1_035_466_617_946  # an Upwell structure in Perimeter where Ann may dock
PRIVATE_STRUCTURE = 1_041_000_000_001  # one she keeps things in but may not dock at
ANN_CONTAINER = 1_000_000_000_100
CORPORATION_CONTAINER = 1_000_000_003_010


class Character(msgspec.Struct, frozen=True):
    """A seeded character: its public record and roles are served from it."""

    character_id: int
    name: str
    corporation_id: int
    roles: tuple[str, ...] = ()  # in the corporation (``Director``, ``Factory_Manager``...)


class Dataset(msgspec.Struct):
    payload: list[Any] | dict[str, Any]
    last_modified: int  # Unix seconds
    paginated: bool


class StandinWorld:
    """Every route's current dataset, keyed by its path without slashes at the ends
    (``characters/2112000001/industry/jobs``). Who belongs to which corporation with which
    roles is read from the characters' own routes, so publishing new roles changes access."""

    def __init__(
        self,
        datasets: dict[str, Dataset],
        docking: dict[int, set[int]] | None = None,
        item_names: dict[int, str] | None = None,
    ) -> None:
        self.datasets = datasets
        self.docking = docking or {}  # structure -> the characters its route answers
        self.item_names = item_names or {}  # item -> the name its owner gave it

    def publish(self, key: str, payload: list[Any] | dict[str, Any] | None = None) -> Dataset:
        """A new snapshot of the route (new ``Last-Modified``, strictly later than the last),
        with a new payload or the same one regenerated."""
        dataset = self.datasets[key]
        if payload is not None:
            dataset.payload = payload
        dataset.last_modified = max(int(time.time()), dataset.last_modified + 1)
        return dataset

    def corporation_of(self, character_id: int) -> int | None:
        """The character's corporation, as its public route says now."""
        dataset = self.datasets.get(f"characters/{character_id}")
        return dataset.payload.get("corporation_id") if dataset and isinstance(dataset.payload, dict) else None

    def item_ids(self, assets_key: str) -> set[int]:
        """The items an assets route lists now: those its owner may ask the names of."""
        dataset = self.datasets.get(assets_key)
        return {item["item_id"] for item in dataset.payload} if dataset and isinstance(dataset.payload, list) else set()

    def roles_of(self, character_id: int) -> set[str]:
        """The character's roles in its corporation, as its roles route says now."""
        dataset = self.datasets.get(f"characters/{character_id}/roles")
        return set(dataset.payload.get("roles", ())) if dataset and isinstance(dataset.payload, dict) else set()


CORPORATION_ID = 98000001
ANN = Character(2112000001, "Ann Standin", CORPORATION_ID, roles=("Director",))
BOB = Character(2112000002, "Bob Standin", CORPORATION_ID)
CAT = Character(2112000003, "Cat Standin", CORPORATION_ID, roles=("Factory_Manager", "Station_Manager"))


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
    corp_jobs = [
        jobs.job(ANN, 46206, 16673, "reaction", runs=20, started=at - timedelta(hours=5), corporation=True),
        jobs.job(CAT, 687, 621, "manufacturing", runs=4, started=at - timedelta(hours=2), corporation=True),
        jobs.job(
            BOB, 46171, 16656, "reaction", runs=10, started=at - timedelta(days=2), status="delivered", corporation=True
        ),
    ]
    container = ANN_CONTAINER
    ann_assets = [
        _asset(1_000_000_000_001, 34, JITA_4_4, "station", 500_000),
        _asset(1_000_000_000_002, 35, JITA_4_4, "station", 120_000),
        _asset(container, STATION_CONTAINER, JITA_4_4, "station", 1, singleton=True),
        _asset(1_000_000_000_101, 36, container, "item", 40_000, flag="Unlocked"),
        _asset(1_000_000_000_102, 587, JITA_4_4, "station", 3),
        _asset(1_000_000_000_200, 37, PRIVATE_STRUCTURE, "item", 900),  # Isogen where she may not dock
    ]
    jita_office, hub_office = 1_000_000_003_000, 1_000_000_003_100
    corp_assets = [
        _asset(jita_office, OFFICE, JITA_4_4, "station", 1, singleton=True, flag="OfficeFolder"),
        _asset(1_000_000_003_001, 34, jita_office, "item", 200_000, flag="CorpSAG1"),
        _asset(CORPORATION_CONTAINER, STATION_CONTAINER, jita_office, "item", 1, singleton=True, flag="CorpSAG2"),
        _asset(1_000_000_003_011, 35, CORPORATION_CONTAINER, "item", 50_000, flag="Unlocked"),
        _asset(hub_office, OFFICE, MARKET_HUB, "item", 1, singleton=True, flag="OfficeFolder"),
        _asset(1_000_000_003_101, 36, hub_office, "item", 7_000, flag="CorpSAG3"),
    ]
    structures = {
        MARKET_HUB: {
            "name": "Perimeter - Standin Market Hub",
            "owner_id": CORPORATION_ID,
            "solar_system_id": PERIMETER,
        },
        PRIVATE_STRUCTURE: {"name": "Jita - Private Vault", "owner_id": 98000099, "solar_system_id": JITA},
    }
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
    corp_blueprints = [
        _blueprint(1_000_000_002_001, 687, me=10, te=20),  # a researched Caracal original
        _blueprint(1_000_000_002_002, 46206),  # reaction formulas
        _blueprint(1_000_000_002_003, 46171),
    ]
    bob_skills = {"skills": [_skill(3380, 3)], "total_sp": 450_000}
    cat_skills = {"skills": [_skill(3380, 5), _skill(3388, 3), _skill(3387, 4)], "total_sp": 2_100_000}
    stamp = int(at.timestamp())
    members = (ANN, BOB, CAT)
    datasets = {
        **{f"characters/{c.character_id}": Dataset(_public(c), stamp, paginated=False) for c in members},
        **{f"characters/{c.character_id}/roles": Dataset(_roles(c), stamp, paginated=False) for c in members},
        f"characters/{ANN.character_id}/industry/jobs": Dataset(ann_jobs, stamp, paginated=False),
        f"characters/{ANN.character_id}/assets": Dataset(ann_assets, stamp, paginated=True),
        f"characters/{ANN.character_id}/skills": Dataset(ann_skills, stamp, paginated=False),
        f"characters/{ANN.character_id}/blueprints": Dataset(ann_blueprints, stamp, paginated=True),
        f"characters/{BOB.character_id}/industry/jobs": Dataset([], stamp, paginated=False),
        f"characters/{BOB.character_id}/assets": Dataset([], stamp, paginated=True),
        f"characters/{BOB.character_id}/skills": Dataset(bob_skills, stamp, paginated=False),
        f"characters/{BOB.character_id}/blueprints": Dataset([], stamp, paginated=True),
        f"characters/{CAT.character_id}/industry/jobs": Dataset([], stamp, paginated=False),
        f"characters/{CAT.character_id}/assets": Dataset([], stamp, paginated=True),
        f"characters/{CAT.character_id}/skills": Dataset(cat_skills, stamp, paginated=False),
        f"characters/{CAT.character_id}/blueprints": Dataset([], stamp, paginated=True),
        f"corporations/{ANN.corporation_id}/industry/jobs": Dataset(corp_jobs, stamp, paginated=True),
        f"corporations/{ANN.corporation_id}/blueprints": Dataset(corp_blueprints, stamp, paginated=True),
        f"corporations/{ANN.corporation_id}/assets": Dataset(corp_assets, stamp, paginated=True),
        **{
            f"universe/structures/{structure_id}": Dataset(structure | {"type_id": 35833}, stamp, paginated=False)
            for structure_id, structure in structures.items()
        },
        f"markets/{THE_FORGE}/orders": Dataset(_orders(at), stamp, paginated=True),
        "markets/prices": Dataset(_prices(catalog), stamp, paginated=False),
        "industry/systems": Dataset(_systems(), stamp, paginated=False),
    }
    docking = {MARKET_HUB: {ANN.character_id, CAT.character_id}}
    item_names = {ANN_CONTAINER: "Ann's minerals", CORPORATION_CONTAINER: "Reaction fuel"}
    return StandinWorld(datasets, docking, item_names)


class _Jobs:
    """Jobs numbered in order, lasting the catalog's time per run."""

    ACTIVITY_IDS = {"manufacturing": 1, "invention": 8, "reaction": 11}
    CORPORATION_BLUEPRINTS = {687: 1_000_000_002_001, 46206: 1_000_000_002_002, 46171: 1_000_000_002_003}

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
        corporation: bool = False,
    ) -> dict[str, Any]:
        """A job in the character route's shape, or the corporation route's (``location_id``
        for ``station_id``, the corporation's blueprint item)."""
        duration = self.times[(blueprint, activity)] * runs
        end = started + timedelta(seconds=duration)
        job: dict[str, Any] = {
            "job_id": self.next_id,
            "installer_id": installer.character_id,
            "facility_id": JITA_4_4,
            "location_id" if corporation else "station_id": JITA_4_4,
            "activity_id": self.ACTIVITY_IDS[activity],
            "blueprint_id": self.CORPORATION_BLUEPRINTS[blueprint] if corporation else 1_000_000_001_001,
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


def _public(character: Character) -> dict[str, Any]:
    """``/characters/{id}/``: the public record, with the fields ESI's schema requires."""
    return {
        "birthday": "2015-03-24T11:37:00Z",
        "bloodline_id": 4,
        "corporation_id": character.corporation_id,
        "description": "",
        "gender": "female",
        "name": character.name,
        "race_id": 2,
        "security_status": 1.2,
    }


def _roles(character: Character) -> dict[str, Any]:
    """``/characters/{id}/roles/``: the roles held everywhere; the lists of roles held only at
    the headquarters, a base or elsewhere are optional in the schema and left out."""
    return {"roles": list(character.roles)}


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
