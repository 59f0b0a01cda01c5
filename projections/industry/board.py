"""The jobs board and the busy slots: every job of a user not delivered yet, across all their
characters and corporations, read from the game's jobs and the queue together.

A job is on the board once: as the game reports it (with the queued job linked to it, if
any), or, while the game has not reported it yet, as the queued job started here. Its status
is shown as of the query's clock: an active job past its end is ``ready`` to deliver. The
same two sources give each character's busy slots: a job holds its installer's slot (a
corporation's job too) until it is delivered.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import Connection, Subquery, Table, case, exists, func, null, select, union_all

from domain.events import utcnow
from domain.industry.characters import Character
from domain.industry.game_jobs import OPEN_STATUSES, job_slot_group
from domain.industry.slots import BusySlot, BusyUse, SlotGroup, SlotUsage
from projections.industry.characters import character_name, list_characters
from projections.industry.game_jobs import GAME_JOBS
from projections.industry.jobs import JOBS, shown_status_column
from projections.industry.names import product_name
from projections.readmodel import Attributes


class BoardJob(msgspec.Struct, frozen=True, kw_only=True):
    game_job_id: int | None  # None: started here without the game's job id
    job_id: UUID | None  # the queued job it is, or the one linked to it
    plan_run_id: UUID | None
    holder_kind: str | None  # whose list the game reports it in (None: the game has not reported it yet)
    holder_id: int | None
    character_id: int | None  # who installed it: whose slot it holds
    character_name: str | None
    activity: str | None  # None: an activity the catalog does not model
    blueprint_type_id: int
    product_type_id: int | None
    product_name: str | None
    runs: int
    status: str  # ready, active or paused
    started_at: datetime | None
    ends_at: datetime | None
    seconds_left: float | None  # until its end: 0 once ready; a paused job's, when it paused
    station_id: int | None


class BoardCounts(msgspec.Struct, frozen=True, kw_only=True):
    ready: int
    active: int
    paused: int


class Board(msgspec.Struct, frozen=True, kw_only=True):
    jobs: list[BoardJob]
    counts: BoardCounts  # of the whole board (of the character asked for), whatever the status and page


def job_board(
    connection: Connection,
    owner: UUID,
    *,
    status: str | None = None,
    character_id: int | None = None,
    limit: int = 10_000,
    offset: int = 0,
    now: datetime | None = None,
) -> Board:
    """A page of the owner's board, ready jobs first, then by end (unknown ends last)."""
    now = now or utcnow()
    rows = _board_rows(owner)
    shown = shown_status_column(rows.c.status, rows.c.ends_at, now)
    filters = [rows.c.character_id == character_id] if character_id is not None else []
    statuses = select(shown.label("status")).where(*filters).subquery("statuses")
    counts = connection.execute(select(statuses.c.status, func.count()).group_by(statuses.c.status))
    if status is not None:
        filters.append(shown == status)
    page = connection.execute(
        select(
            rows,
            shown.label("shown_status"),
            character_name(rows.c.owner_id, rows.c.character_id).label("character_name"),
        )
        .where(*filters)
        .order_by(
            case((shown == "ready", 0), else_=1),
            case((rows.c.ends_at.is_(None), 1), else_=0),
            rows.c.ends_at,
            rows.c.started_at,
            rows.c.game_job_id,
            rows.c.job_id,
        )
        .limit(limit)
        .offset(offset)
    )
    return Board(
        jobs=[_board_job(row, now) for row in page],
        counts=msgspec.convert({**dict.fromkeys(BoardCounts.__struct_fields__, 0), **dict(counts.all())}, BoardCounts),
    )


def _board_job(row: Any, now: datetime) -> BoardJob:
    seconds_left = None
    if row.ends_at is not None:  # a paused job's clock stopped when it paused
        seconds_left = max(0.0, (row.ends_at - (row.paused_at or now)).total_seconds())
    shown = Attributes(row, status=row.shown_status, seconds_left=seconds_left)
    return msgspec.convert(shown, BoardJob, from_attributes=True)


def _board_rows(owner: UUID) -> Subquery:
    """The owner's board, unsorted: the game's jobs not delivered, and the queued jobs started
    here the game has not reported (in the same columns)."""
    game, jobs, linked = GAME_JOBS.view, JOBS.view, JOBS.view.alias("linked")
    reported = (
        select(
            game.c.owner_id,
            game.c.job_id.label("game_job_id"),
            game.c.queue_job_id.label("job_id"),
            linked.c.plan_run_id,
            game.c.holder_kind,
            game.c.holder_id,
            game.c.installer_id.label("character_id"),
            game.c.activity,
            game.c.blueprint_type_id,
            game.c.product_type_id,
            product_name(game).label("product_name"),
            game.c.runs,
            game.c.status,
            game.c.start_date.label("started_at"),
            game.c.end_date.label("ends_at"),
            game.c.pause_date.label("paused_at"),
            func.coalesce(game.c.station_id, game.c.facility_id).label("station_id"),
        )
        .select_from(game.outerjoin(linked, linked.c.job_id == game.c.queue_job_id))
        .where(game.c.owner_id == owner, game.c.status.in_(OPEN_STATUSES))
    )
    started_here = select(
        jobs.c.owner_id,
        jobs.c.esi_job_id.label("game_job_id"),
        jobs.c.job_id,
        jobs.c.plan_run_id,
        null().label("holder_kind"),
        null().label("holder_id"),
        jobs.c.character_id,
        jobs.c.activity,
        jobs.c.blueprint_type_id,
        jobs.c.product_type_id,
        product_name(jobs).label("product_name"),
        jobs.c.runs,
        jobs.c.status,
        jobs.c.started_at,
        jobs.c.ends_at,
        null().label("paused_at"),
        jobs.c.station_id,
    ).where(*_started_here(jobs, owner))
    return union_all(reported, started_here).subquery("board")


def _started_here(jobs: Table, owner: UUID) -> list[Any]:
    """The owner's active queued industry jobs the game has not reported (yet): started by
    hand, or linked to a game job no list of theirs holds."""
    reported = GAME_JOBS.view.alias("reported")
    return [
        jobs.c.owner_id == owner,
        jobs.c.status == "active",
        jobs.c.kind != "transport",  # a haul holds no industry slot
        ~exists().where(reported.c.owner_id == owner, reported.c.job_id == jobs.c.esi_job_id),
    ]


# ------------------------------------------------------------------- slots


def busy_slots(connection: Connection, owner: UUID, character_ids: Collection[int]) -> list[BusySlot]:
    """One per job on the owner's board installed by one of ``character_ids`` (the only slots
    a run spread over those characters plans around): the game's jobs not delivered (a paused
    one's end is unknown until it resumes), and the jobs started here it has not reported yet."""
    busy = _busy_jobs(owner, character_ids)
    return [
        BusySlot(character_id=character_id, group=job_slot_group(activity), until=until)
        for character_id, activity, until in connection.execute(select(busy))
    ]


def _busy_jobs(owner: UUID, character_ids: Collection[int]) -> Subquery:
    """(character_id, activity, until) of each job holding a slot of one of the characters:
    a game job once, whichever of the owner's holders report it, and the jobs started here the
    game has not reported yet."""
    game, jobs = GAME_JOBS.view, JOBS.view
    wanted = sorted(set(character_ids))
    reports = (
        select(
            game.c.installer_id,
            game.c.activity,
            case((game.c.status == "paused", null()), else_=game.c.end_date).label("until"),
            func.row_number()
            .over(partition_by=game.c.job_id, order_by=(game.c.holder_kind, game.c.holder_id))
            .label("report"),
        )
        .where(game.c.owner_id == owner, game.c.status.in_(OPEN_STATUSES), game.c.installer_id.in_(wanted))
        .subquery("reports")
    )
    reported = select(reports.c.installer_id.label("character_id"), reports.c.activity, reports.c.until).where(
        reports.c.report == 1
    )
    started_here = select(jobs.c.character_id, jobs.c.activity, jobs.c.ends_at.label("until")).where(
        *_started_here(jobs, owner), jobs.c.character_id.in_(wanted)
    )
    return union_all(reported, started_here).subquery("busy")


def busy_use(
    connection: Connection, owner: UUID, character_ids: Collection[int]
) -> dict[tuple[int, SlotGroup], BusyUse]:
    """How many slots each of the characters has busy per group, and the earliest known end
    among them: counted in the query, one row per character and activity."""
    busy = _busy_jobs(owner, character_ids)
    rows = connection.execute(
        select(busy.c.character_id, busy.c.activity, func.count(), func.min(busy.c.until)).group_by(
            busy.c.character_id, busy.c.activity
        )
    )
    use: dict[tuple[int, SlotGroup], BusyUse] = {}
    for character_id, activity, count, earliest in rows:
        key = (character_id, job_slot_group(activity))
        use[key] = use.get(key, BusyUse()).plus(count, earliest)
    return use


class CharacterSlots(msgspec.Struct, frozen=True, kw_only=True):
    character_id: int
    name: str
    manufacturing: SlotUsage
    science: SlotUsage
    reactions: SlotUsage


def character_slots(
    connection: Connection, owner: UUID, limit: int | None = None, offset: int = 0
) -> list[CharacterSlots]:
    """Each character of the owner's roster (a page of it), with its slots per group (only
    the page's characters' jobs are counted)."""
    characters = list_characters(connection, owner, limit, offset)
    use = busy_use(connection, owner, [character.character_id for character in characters])

    def usage(character: Character, group: SlotGroup) -> SlotUsage:
        return use.get((character.character_id, group), BusyUse()).of(character.slots(group))

    return [
        CharacterSlots(
            character_id=character.character_id,
            name=character.name,
            manufacturing=usage(character, "manufacturing"),
            science=usage(character, "science"),
            reactions=usage(character, "reactions"),
        )
        for character in characters
    ]
