"""The use cases: typed requests in, typed results out; errors name the field, not the flag."""

from __future__ import annotations

import dataclasses

import pytest

from geodata.errors import InvalidInputError
from service.usecases import CheckpointRequest, SpreadMetrics, plan_checkpoints_for_area
from tests.conftest import OSLO
from tests.conftest import run_cli as _cli


def test_domain_errors_name_the_field_and_the_cli_adds_the_flag(monkeypatch, capsys) -> None:
    with pytest.raises(InvalidInputError) as info:
        plan_checkpoints_for_area(CheckpointRequest(osm_file=OSLO, count=0, radius_km=2.0))
    assert info.value.field == "count"
    assert "--" not in str(info.value)  # API users read this message too
    code, out, err = _cli(
        monkeypatch, capsys, "--osm-file", str(OSLO), "--radius-km", "2", "--count", "0"
    )
    assert code == 2 and out == ""
    assert f"{info.value} (--count)" in " ".join(err.split())


def test_both_radii_is_an_error_about_the_radius() -> None:
    request = CheckpointRequest(osm_file=OSLO, count=3, radius_km=2.0, radius_min=5.0)
    with pytest.raises(InvalidInputError) as info:
        plan_checkpoints_for_area(request)
    assert info.value.field == "radius_km"


def test_requests_are_typed_and_closed() -> None:
    with pytest.raises(ValueError, match="extra"):
        CheckpointRequest(osm_file=OSLO, count=3, radius_km=2.0, colour="red")
    with pytest.raises(ValueError, match="count"):
        CheckpointRequest(osm_file=OSLO, count="många", radius_km=2.0)


def test_spread_metrics_round_trip_and_json() -> None:
    names = [f.name for f in dataclasses.fields(SpreadMetrics)]
    values = dict.fromkeys(names, 1.0) | {"largest_gap_km": float("inf")}
    metrics = SpreadMetrics.from_mapping(values)
    assert metrics.to_dict() == values
    assert metrics.to_json()["largest_gap_km"] is None
    assert set(metrics.summary()) < set(names)
