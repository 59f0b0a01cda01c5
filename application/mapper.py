"""Maps msgspec events to the eventsourcing library's stored events and back.

The stored state is the event's JSON (including its ``class_version`` tag). Decoding takes
the fast typed path; only an event stored at an older class version is decoded to a dict,
upcast step by step with the class's ``upcast_vN_vN1`` methods, then converted.
"""

from __future__ import annotations

from functools import cache
from uuid import UUID

import msgspec
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import resolve_topic

from domain.events import Event, class_version, renamed_event, stored_topic

_encoder = msgspec.json.Encoder()


@cache
def _decoder(event_class: type[Event]) -> msgspec.json.Decoder[Event]:
    return msgspec.json.Decoder(event_class)


@cache
def _topic(event_class: type[Event]) -> str:
    return stored_topic(event_class)


def encode_event(event: Event) -> bytes:
    return _encoder.encode(event)


def decode_event(topic: str, state: bytes) -> Event:
    event_class: type[Event] = renamed_event(topic) or resolve_topic(topic)
    try:
        return _decoder(event_class).decode(state)
    except msgspec.ValidationError as error:
        data = msgspec.json.decode(state)
        stored_version = data.get("class_version", 1)
        current_version = class_version(event_class)
        if stored_version >= current_version:
            raise MapperDeserialisationError(f"cannot decode {topic}: {error}") from error
        for version in range(stored_version, current_version):
            getattr(event_class, f"upcast_v{version}_v{version + 1}")(data)
        data["class_version"] = current_version
        return msgspec.convert(data, event_class)


class MsgspecMapper(Mapper[UUID]):
    def __init__(self) -> None:  # no transcoder, compressor or cipher: msgspec does it all
        self.transcoder = None  # type: ignore[assignment]  # the library requires one; msgspec is ours
        self.compressor = None
        self.cipher = None

    def to_stored_event(self, domain_event: Event) -> StoredEvent:  # type: ignore[override]  # stores only our Events
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=_topic(type(domain_event)),
            state=encode_event(domain_event),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Event:
        return decode_event(stored_event.topic, stored_event.state)
