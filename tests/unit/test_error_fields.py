"""A domain error names its field by its Python path; HTTP answers it (and the console shows it)
by the name the client sent, segment by segment as msgspec's ``rename="camel"`` spells a body."""

from __future__ import annotations

import msgspec
import pytest

from domain.errors import Conflict, InvalidInput
from interfaces.http.errors import WIRE_NAMES, wire_field
from interfaces.web.acting import refusal_of


@pytest.mark.parametrize(
    ("field", "wire"),
    [
        ("character_id", "characterId"),
        ("transport.cost_per_m3", "transport.costPerM3"),
        ("steps[2].me_level", "steps[2].meLevel"),
        ("quotes[0].sell_depth[1].volume", "quotes[0].sellDepth[1].volume"),
        ("skills.others.3380", "skills.others.3380"),
        ("name", "name"),
        (None, None),
    ],
)
def test_a_python_path_is_answered_by_the_names_the_client_sent(field: str | None, wire: str | None) -> None:
    assert wire_field(field) == wire


def test_each_name_is_spelled_as_a_camel_body_names_its_field() -> None:
    class Body(msgspec.Struct, rename="camel"):
        rate_per_m3_per_jump: float
        auto_production_parallelism: int

    assert [wire_field(name) for name in Body.__struct_fields__] == list(Body.__struct_encode_fields__)


def test_a_query_parameter_is_named_as_the_route_declares_it_and_a_header_by_the_table() -> None:
    assert wire_field("region_id", {"region_id": "region_id"}) == "region_id"  # Litestar's default: as written
    assert wire_field("character_id", {"character_id": "characterId"}) == "characterId"
    assert wire_field("region_id") == "regionId"  # a body's field
    assert wire_field("expected_version") == WIRE_NAMES["expected_version"] == "If-Match"


def test_the_console_shows_a_refusal_next_to_the_input_the_api_names() -> None:
    assert refusal_of(InvalidInput("too long", "steps[0].me_level")).field == "steps[0].meLevel"
    assert refusal_of(Conflict("changed meanwhile", "expected_version")).status == 409
    assert refusal_of(InvalidInput("no market data", "region_id"), ["region_id"]).field == "region_id"
