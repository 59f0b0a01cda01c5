"""The manufacturing ``Container`` aggregate, specified as given events, command, expected events."""

from __future__ import annotations

from collections.abc import Callable

from domain.errors import InvalidInput, RuleViolation
from domain.manufacturing.config import ManufacturingConfig, SupplyLevel
from domain.manufacturing.container import (
    ConfigChanged,
    Container,
    ContainerRegistered,
    ContainerStatus,
    FieldChange,
    StatusChanged,
    container_aggregate_id,
)
from tests.unit.given import META, OWNER, event, given

CONFIG = ManufacturingConfig()
REGISTERED = event(ContainerRegistered, owner_id=OWNER, container_id="mfg-1", system_symbol="X1-YZ19", config=CONFIG)


def register(
    container_id: str = "mfg-1", system_symbol: str = "x1-yz19", config: ManufacturingConfig = CONFIG
) -> Callable[[None], Container]:
    return lambda _: Container.register(
        owner_id=OWNER, container_id=container_id, system_symbol=system_symbol, config=config, meta=META
    )


def test_registering_records_the_container_with_its_system_upper_cased_under_an_id_of_owner_and_name() -> None:
    container = given().when(register()).then(REGISTERED)
    assert container.id == container_aggregate_id(OWNER, "mfg-1")
    assert container.status is ContainerStatus.STOPPED


def test_a_malformed_container_id_or_system_symbol_is_refused() -> None:
    given().when(register(container_id="-bad id")).then_refused(InvalidInput, "containerId")
    given().when(register(system_symbol="X1 YZ19")).then_refused(InvalidInput, "systemSymbol")


def test_a_config_that_breaks_its_rules_is_refused() -> None:
    starving = ManufacturingConfig(collect_min_start_supply=SupplyLevel.LIMITED)
    given().when(register(config=starving)).then_refused(RuleViolation, "collect start supply")


def test_changing_the_config_records_each_changed_field_with_old_and_new_values() -> None:
    given(REGISTERED).when(lambda c: c.change_config({"max_pipelines": 5, "max_workers": 5}, META)).then(
        event(
            ConfigChanged,
            changes={"max_pipelines": FieldChange(old=3, new=5)},
            config=ManufacturingConfig(max_pipelines=5),
        )
    )


def test_a_config_change_to_the_same_values_records_nothing() -> None:
    given(REGISTERED).when(lambda c: c.change_config({"max_pipelines": 3}, META)).then_nothing()


def test_a_config_change_out_of_range_is_refused() -> None:
    given(REGISTERED).when(lambda c: c.change_config({"max_pipelines": 0}, META)).then_refused(
        RuleViolation, "between 1 and 100"
    )


def test_a_status_change_records_old_and_new_status_and_the_same_status_records_nothing() -> None:
    running = given(REGISTERED).when(lambda c: c.change_status(ContainerStatus.RUNNING, META))
    running.then(event(StatusChanged, old_status=ContainerStatus.STOPPED, status=ContainerStatus.RUNNING))
    given(REGISTERED).when(lambda c: c.change_status(ContainerStatus.STOPPED, META)).then_nothing()
