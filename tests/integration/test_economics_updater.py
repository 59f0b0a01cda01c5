"""The economics updater: what changes recompute, the periodic pass, and the background thread."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import msgspec
from sqlalchemy import select

from application.market import MarketImport
from application.system import Manufactory
from domain.catalog.model import CatalogData, CatalogFile
from domain.economics.market import PriceQuote
from domain.events import CommandMeta, utcnow
from projections.economics import ECONOMICS
from tests.integration.test_api_economics import CATALOG, FORGE, RIFTER, TRIT, X, Y

OTHERS = [X, Y, 100, 110, 300]  # every other product of the catalog


def meta(user: uuid.UUID) -> CommandMeta:
    return CommandMeta(user_id=user, correlation_id=f"c-{uuid.uuid4().hex[:8]}")


def import_catalog(system: Manufactory, user: uuid.UUID, drop: int | None = None) -> None:
    catalog = msgspec.convert(CATALOG, CatalogFile)
    recipes = tuple(r for r in catalog.recipes if drop not in [p.type_id for a in r.activities for p in a.products])
    system.catalogs.import_catalog(CatalogData(items=catalog.items, recipes=recipes), "test", meta(user))


def stored_types(system: Manufactory, user: uuid.UUID) -> list[int]:
    table = ECONOMICS.view
    query = select(table.c.type_id).where(table.c.owner_id == user, table.c.region_id == FORGE)
    with system.query_engine.connect() as connection:
        return sorted(connection.execute(query).scalars())


def quote_tritanium(system: Manufactory, user: uuid.UUID, price: float) -> None:
    quote = PriceQuote(region_id=FORGE, type_id=TRIT, observed_at=utcnow(), lowest_sell=price)
    system.market.record(FORGE, MarketImport([quote]), None, "test", meta(user))


def test_changes_recompute_what_they_reach_and_the_periodic_pass_what_is_old(system: Manufactory) -> None:
    user = system.users.create_user("trader").user_id
    import_catalog(system, user)
    quote_tritanium(system, user, 4.0)
    first = system.economics_updater.update_pending()
    assert (first.users, first.regions, first.computed) == (1, 1, 6)  # every product of the one region
    quote_tritanium(system, user, 5.0)
    again = system.economics_updater.update_pending()
    assert again.computed == 3  # Tritanium: the Rifter, S and C (in S); not D, X or Y
    assert system.economics_updater.update_pending().computed == 0  # nothing pending
    assert system.economics_updater.refresh(timedelta(hours=1)).computed == 0  # nothing old
    periodic = system.economics_updater.refresh(timedelta(0))
    assert (periodic.computed, periodic.changed) == (6, 0)  # worked out again, the same figures
    import_catalog(system, user, drop=RIFTER)  # a catalog change reaches every row; the Rifter's goes
    changed = system.economics_updater.update_pending()
    assert (changed.computed, changed.removed) == (5, 1)
    assert stored_types(system, user) == sorted(OTHERS)


def test_the_background_updater_keeps_rows_current(system: Manufactory) -> None:
    user = system.users.create_user("trader").user_id
    import_catalog(system, user)
    system.projections.start()
    system.economics_updater.start()
    try:
        quote_tritanium(system, user, 4.0)
        deadline = time.monotonic() + 20
        while not stored_types(system, user) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stored_types(system, user) == sorted([RIFTER, *OTHERS])
    finally:
        system.economics_updater.stop()
        system.projections.stop()
