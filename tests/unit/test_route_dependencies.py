"""How route dependencies are resolved: in turn, the connection and other dependencies' values
handed over as they are, and anything the client sent still validated (a clear 400)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from litestar import Litestar, Request, get
from litestar._kwargs.dependencies import DependencyContainer
from litestar._signature import SignatureModel
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.testing import TestClient

from interfaces.http.context import _new_id
from interfaces.http.dependencies_in_turn import arguments_as_is, resolve_dependencies_in_turn

SEEN: list[Any] = []


class Marker:
    """A value only our code makes: no conversion could produce it."""


def marker() -> Marker:
    return Marker()


def sees(request: Request[Any, Any, Any], marker: NamedDependency[Marker]) -> str:
    SEEN.append((request, marker))
    return "seen"


def limit(limit: Annotated[int, QueryParameter()]) -> int:
    return limit


def fallback(extra: NamedDependency[int] = 3) -> str:
    """Marked as a dependency, but no layer provides ``extra``: Litestar reads it from the query."""
    return f"{extra!r}"


def cleaned_up() -> Iterator[str]:
    yield "value"


@get("/sees", sync_to_thread=False)
def sees_route(request: Request[Any, Any, Any], sees: NamedDependency[str], marker: NamedDependency[Marker]) -> str:
    SEEN.append(("handler", request, marker))
    return sees


@get("/limit", sync_to_thread=False)
def limit_route(limited: NamedDependency[int]) -> int:
    return limited


@get("/fallback", sync_to_thread=False)
def fallback_route(fell_back: NamedDependency[str]) -> str:
    return fell_back


DEPENDENCIES = {
    "marker": Provide(marker, sync_to_thread=False),
    "sees": Provide(sees, sync_to_thread=False),
    "limited": Provide(limit, sync_to_thread=False),
    "fell_back": Provide(fallback, sync_to_thread=False),
    "cleaned": Provide(cleaned_up),
}


def app() -> Litestar:
    resolve_dependencies_in_turn()
    return Litestar([sees_route, limit_route, fallback_route], dependencies=DEPENDENCIES)


@pytest.fixture
def converted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the dependencies whose arguments went through a signature model."""
    names: list[str] = []
    convert = SignatureModel.parse_values_from_connection_kwargs.__func__  # type: ignore[attr-defined]

    def recorded(cls: type[SignatureModel], connection: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        names.extend(name for name in ("sees", "limited", "fell_back") if cls is DEPENDENCIES[name].signature_model)
        return convert(cls, connection, kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(SignatureModel, "parse_values_from_connection_kwargs", classmethod(recorded))
    return names


def test_a_dependency_of_the_connection_and_other_dependencies_gets_them_as_they_are(converted: list[str]) -> None:
    SEEN.clear()
    with TestClient(app()) as client:
        assert client.get("/sees").text == "seen"
    (request, given), (_, handler_request, handler_marker) = SEEN
    assert given is handler_marker and isinstance(given, Marker)
    assert request.url == handler_request.url
    assert converted == []


def test_a_dependency_of_what_the_client_sent_still_validates_it(converted: list[str]) -> None:
    with TestClient(app()) as client:
        assert client.get("/limit", params={"limit": "7"}).json() == 7
        answer = client.get("/limit", params={"limit": "seven"})
    assert answer.status_code == 400
    assert "limit" in answer.text
    assert converted == ["limited", "limited"]


def test_an_argument_marked_as_a_dependency_that_no_layer_provides_is_converted_as_sent(converted: list[str]) -> None:
    with TestClient(app()) as client:
        assert client.get("/fallback").text == "3"
        assert client.get("/fallback", params={"extra": "7"}).text == "7"  # converted: not '7'
    assert converted == ["fell_back", "fell_back"]


def test_only_dependencies_of_the_connection_and_of_other_dependencies_skip_conversion() -> None:
    app()  # makes the signature models

    def route_has(key: str, *provided: str) -> DependencyContainer:
        subs = [DependencyContainer(name, DEPENDENCIES[name], []) for name in provided]
        return DependencyContainer(key, DEPENDENCIES[key], subs)

    assert arguments_as_is(route_has("sees", "marker")) == ("request", "marker")
    assert arguments_as_is(route_has("sees")) is None  # a route without a ``marker`` dependency
    assert arguments_as_is(route_has("marker")) == ()
    assert arguments_as_is(route_has("limited")) is None
    assert arguments_as_is(route_has("fell_back")) is None
    assert arguments_as_is(route_has("cleaned")) is None  # its clean-up is Litestar's


def test_new_command_and_correlation_ids_are_distinct_version_4_uuids() -> None:
    ids = [_new_id() for _ in range(1_000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert (str(parsed), parsed.version, parsed.variant) == (text, 4, uuid.RFC_4122)
