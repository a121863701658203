"""The default minimum separation never makes a plan infeasible that fits without it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely

from geodata.errors import InfeasibleError
from geodata.network import Network
from service.planning.checkpoints import plan_checkpoints
from service.planning.checkpoints.spread import default_min_separation


def _smallest_distance(plan: Any) -> float:
    xy = shapely.get_coordinates(plan.sites.geometry.to_numpy())
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    return float(d[np.triu_indices(len(xy), 1)].min())


def test_default_separation_shrinks_when_the_sites_do_not_fit(oslo: tuple[Network, Any]) -> None:
    net, feats = oslo
    radius = 3000.0
    rule = default_min_separation(radius)
    # On east Oslo at most 26 sites fit 1 km apart (the rule for 3 km), so 30 must relax it.
    with pytest.raises(InfeasibleError):
        plan_checkpoints(net, 30, radius, features=feats, seed=1, min_separation=rule)
    lines: list[str] = []
    plan = plan_checkpoints(net, 30, radius, features=feats, seed=1, progress=lines.append)
    assert len(plan.sites) == 30
    assert 0 < plan.min_separation < rule
    assert _smallest_distance(plan) >= plan.min_separation - 1e-6
    assert any("Standardavståndet" in line for line in lines)


def test_default_separation_is_kept_when_the_sites_fit(oslo_plan: Any) -> None:
    rule = default_min_separation(oslo_plan.radius)
    assert oslo_plan.min_separation == pytest.approx(rule)
    assert _smallest_distance(oslo_plan) >= rule - 1e-6
