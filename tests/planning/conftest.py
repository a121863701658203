"""Planning fixtures: the shared Oslo plan, built once per test session."""

from __future__ import annotations

from typing import Any

import pytest

from geodata.network import Network
from geodata.osm import load_features, load_network
from geodata.settings import use_settings
from service.planning.checkpoints import CheckpointPlan, plan_checkpoints
from service.settings import Settings
from tests.conftest import OSLO, SHARED


@pytest.fixture(scope="session")
def oslo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Network, Any]:
    """East Oslo's drivable network (largest component) and its feature layers."""
    base = tmp_path_factory.mktemp("oslo")
    settings = Settings(cache_dir=base / "cache", data_dir=base, shared_dir=SHARED, offline=True)
    with use_settings(settings):
        net = load_network(None, "drive", OSLO, use_cache=False).largest_component()
        return net, load_features(None, OSLO, use_cache=False)


@pytest.fixture(scope="session")
def oslo_plan(oslo: tuple[Network, Any]) -> CheckpointPlan:
    """The shared Oslo plan (15 checkpoints, 1.5 km, seed 3) for checkpoint and coverage tests."""
    net, feats = oslo
    return plan_checkpoints(net, 15, 1500.0, features=feats, seed=3)
