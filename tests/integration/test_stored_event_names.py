"""What is stored stays as it was when classes are renamed or reshaped in the code.

The crafting world's job events were renamed (``JobStarted`` became ``CraftJobStarted``, ...)
so they are not confused with the industry job's: they keep their old topic (``stored_as``),
so history written before decodes to the new classes, topic filters still select them, new
events are written under the same topic, and the audit trail still names them as before.
The encodings below were captured before the renames and before ``PlannedJob`` came to hold
its ``JobSpec``; they must never change, byte for byte, unless the class's version moves, and
then what was stored at the old version must still decode: a job was queued at version 1 with
its duration in fractional seconds, and reads back in the game's whole seconds.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
import pytest
from eventsourcing.persistence import StoredEvent

from application.mapper import MsgspecMapper, encode_event
from application.system import Manufactory
from domain.catalog.model import ActivityKind
from domain.crafting import (
    CraftCancelled,
    CraftRecipe,
    CraftStarted,
    ItemRequirement,
    ItemStack,
    ItemYield,
    Modifiers,
    RefundPolicy,
    ResolvedRecipe,
)
from domain.crafting_world import (
    CraftJobCancelled,
    CraftJobCompleted,
    CraftJobFailed,
    CraftJobStarted,
    RecipesRegistered,
)
from domain.events import CommandMeta, Event, stored_name, stored_topic
from domain.industry.jobs import JobMaterial, JobQueued, JobSpec

ID = uuid.UUID("00000000-0000-0000-0000-000000000001")
RUN = uuid.UUID("00000000-0000-0000-0000-000000000002")
ENVELOPE = {
    "originator_id": ID,
    "originator_version": 2,
    "timestamp": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    "meta": CommandMeta(user_id=ID, correlation_id="corr"),
}
SPEC = JobSpec(
    character_id=7,
    product_type_id=1,
    blueprint_type_id=2,
    activity=ActivityKind.REACTION,
    runs=3,
    me_level=1,
    te_level=2,
    facility_tax=0.5,
    station_id=9,
    expected_output=30,
    duration_seconds=12,
    materials=(JobMaterial(type_id=4, quantity=5, source="mixed"),),
    total_cost=1.5,
    expected_revenue=2.5,
    notes="n",
    plan_run_id=RUN,
    plan_step_id=3,
    sort_order=4,
)
SWORD = CraftRecipe(
    id="sword",
    name="Sword",
    category="w",
    inputs=(ItemRequirement("iron", 3), ItemRequirement("hammer", 1, consume=False)),
    outputs=(ItemYield("sword", 1, 0.5),),
    duration=5.0,
    metadata={"a": 1},
)
RECORD = {"job_id": "m#1", "manager_id": "m", "owner": "o", "inventory_id": "i", "recipe_id": "sword", "at": 1.0}
STARTED = CraftJobStarted(
    **ENVELOPE,
    record=CraftStarted(
        **RECORD,
        seq=1,
        end=11.0,
        seed=42,
        repeat=True,
        cycle=0,
        resolved=ResolvedRecipe(
            recipe_id="sword",
            modifiers=Modifiers(0.5, 1.0, 2.0, "s", ("t",)),
            inputs=SWORD.inputs,
            outputs=SWORD.outputs,
            duration=10.0,
        ),
        consumed=(ItemStack("iron", 3),),
        context={"k": "v"},
    ),
)
CANCELLED = CraftJobCancelled(
    **ENVELOPE,
    record=CraftCancelled(
        **RECORD,
        refund_policy=RefundPolicy.PROPORTIONAL,
        refund=(ItemStack("iron", 1),),
        progress=0.5,
        cycles_completed=0,
    ),
)
_META_JSON = (
    b'"originator_id":"00000000-0000-0000-0000-000000000001","originator_version":2,'
    b'"timestamp":"2026-01-02T03:04:05Z","meta":{"user_id":"00000000-0000-0000-0000-000000000001",'
    b'"correlation_id":"corr","causation_id":null,"command_id":null}}'
)
_RESOLVED_JSON = (
    b'"resolved":{"recipe_id":"sword","modifiers":{"input_cost":0.5,"output_yield":1.0,"time_speed":2.0,'
    b'"source":"s","tags":["t"]},"inputs":[{"item":"iron","quantity":3,"consume":true},'
    b'{"item":"hammer","quantity":1,"consume":false}],"outputs":[{"item":"sword","quantity":1,"probability":0.5}],'
    b'"duration":10.0}'
)
_RECORD_JSON = b'"job_id":"m#1","manager_id":"m","owner":"o","inventory_id":"i","recipe_id":"sword","at":1.0}'
_JOB_QUEUED_V1 = (
    b'{"class_version":1,"owner_id":"00000000-0000-0000-0000-000000000001","spec":{"characterId":7,'
    b'"productTypeId":1,"blueprintTypeId":2,"activity":"reaction","runs":3,"meLevel":1,"teLevel":2,'
    b'"facilityTax":0.5,"stationId":9,"expectedOutput":30,"durationSeconds":12.5,'
    b'"materials":[{"typeId":4,"quantity":5,"source":"mixed"}],"totalCost":1.5,"expectedRevenue":2.5,'
    b'"notes":"n","planRunId":"00000000-0000-0000-0000-000000000002","planStepId":3,"sortOrder":4},' + _META_JSON
)
ENCODED: list[tuple[Event, bytes]] = [
    (
        JobQueued(**ENVELOPE, owner_id=ID, spec=SPEC),
        _JOB_QUEUED_V1.replace(b'"class_version":1', b'"class_version":2').replace(b":12.5,", b":12,"),
    ),
    (
        RecipesRegistered(**ENVELOPE, recipes=(SWORD,)),
        b'{"class_version":1,"recipes":[{"id":"sword","name":"Sword","category":"w","inputs":'
        b'[{"item":"iron","quantity":3,"consume":true},{"item":"hammer","quantity":1,"consume":false}],'
        b'"outputs":[{"item":"sword","quantity":1,"probability":0.5}],"duration":5.0,"metadata":{"a":1}}],'
        + _META_JSON,
    ),
    (
        STARTED,
        b'{"class_version":1,"record":{"type":"started","seq":1,"end":11.0,"seed":42,"repeat":true,"cycle":0,'
        + _RESOLVED_JSON
        + b',"consumed":[{"item":"iron","quantity":3}],"context":{"k":"v"},'
        + _RECORD_JSON
        + b","
        + _META_JSON,
    ),
    (
        CANCELLED,
        b'{"class_version":1,"record":{"type":"cancelled","refund_policy":"proportional",'
        b'"refund":[{"item":"iron","quantity":1}],"progress":0.5,"cycles_completed":0,'
        + _RECORD_JSON
        + b","
        + _META_JSON,
    ),
]
RENAMED = [
    (CraftJobStarted, "domain.crafting_world.world:JobStarted"),
    (CraftJobCompleted, "domain.crafting_world.world:JobCompleted"),
    (CraftJobCancelled, "domain.crafting_world.world:JobCancelled"),
    (CraftJobFailed, "domain.crafting_world.world:JobFailed"),
]


@pytest.mark.parametrize(("event", "encoded"), ENCODED, ids=lambda value: type(value).__name__)
def test_stored_events_encode_byte_for_byte_as_before(event: Event, encoded: bytes) -> None:
    assert encode_event(event) == encoded


def test_a_job_queued_at_version_1_reads_back_with_its_duration_in_the_games_whole_seconds() -> None:
    event = MsgspecMapper().to_domain_event(StoredEvent(ID, 2, stored_topic(JobQueued), _JOB_QUEUED_V1))
    assert isinstance(event, JobQueued)
    assert event.spec == msgspec.structs.replace(SPEC, duration_seconds=13)  # 12.5 s: halves round up


@pytest.mark.parametrize(("event_class", "topic"), RENAMED, ids=lambda value: getattr(value, "__name__", value))
def test_a_renamed_event_keeps_its_stored_topic_and_its_name_in_the_audit_trail(
    event_class: type[Event], topic: str
) -> None:
    assert stored_topic(event_class) == topic
    assert stored_name(event_class) == topic.rpartition(":")[2]


def test_a_renamed_event_is_written_under_its_old_topic() -> None:
    stored = MsgspecMapper().to_stored_event(STARTED)
    assert (stored.topic, stored.state) == ("domain.crafting_world.world:JobStarted", ENCODED[2][1])


def test_history_stored_under_the_old_names_decodes_to_the_renamed_classes_and_is_selected_by_them(
    system: Manufactory,
) -> None:
    world_id = uuid.uuid4()
    old = [(STARTED, "domain.crafting_world.world:JobStarted"), (CANCELLED, "domain.crafting_world.world:JobCancelled")]
    system.store.recorder.insert_events(
        [
            StoredEvent(world_id, version, topic, encode_event(event))
            for version, (event, topic) in enumerate(old, start=1)
        ]
    )
    started, cancelled = system.store.history(world_id)
    assert isinstance(started, CraftJobStarted) and started.record == STARTED.record
    assert isinstance(cancelled, CraftJobCancelled) and cancelled.record == CANCELLED.record
    # a projection's topic filter is built from its event classes with stored_topic
    head = system.store.recorder.max_notification_id() or 0
    selected = system.store.recorder.select_notifications(
        start=1, limit=10, stop=head, topics=[stored_topic(CraftJobCancelled)]
    )
    assert [(n.originator_id, n.originator_version) for n in selected] == [(world_id, 2)]
