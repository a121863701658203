"""Where traffic checkpoints go: candidates, demand, the optimiser, its certificate and risk.

The pipeline is :func:`candidate_sites` → :func:`demand_weights` → :class:`CoverageProblem`
→ ``MaximalCovering(problem, k).solve()``; :func:`plan_checkpoints` runs it end to end.

Modules
-------
candidates
    Candidate sites on roads and terrain, the user's own points.
demand
    The weight of every road piece (length, road class, population, risk).
risk
    Polisen's traffic notices and licensed venues placed on the road pieces.
model
    Maximal covering (heuristic or HiGHS), then the spread stage, then the certificate.
search
    The heuristic's state (cover counts, exact marginal gains).
spread
    The second, spread stage (capped p-median) and the default minimum separation.
bound
    The Lagrangian upper bound behind "högst 1,8 % från bästa möjliga".
plan
    End to end: :func:`plan_checkpoints` and :class:`CheckpointPlan`.
"""

from service.planning.checkpoints.bound import DEFAULT_BOUND_SECONDS, Certificate, lagrangian_bound
from service.planning.checkpoints.candidates import (
    EMPTY_NETWORK_MESSAGE,
    FIXED_REASON,
    JUNCTION_REASON,
    NETWORK_CHOICES,
    PREFERRED_FEATURES,
    ROAD_REASON,
    TERRAIN_KINDS,
    TRAIL_END_REASON,
    TRAIL_JUNCTION_REASON,
    TRAIL_PARKING_REASON,
    TRAIL_REASON,
    TRAIL_ROAD_REASON,
    USER_REASON,
    candidate_sites,
    eligible_edges,
    read_points,
    terrain_sites,
    thin,
    user_sites,
)
from service.planning.checkpoints.demand import WEIGHTINGS, class_factor, demand_weights
from service.planning.checkpoints.model import CoverageProblem, MaximalCovering, Solution
from service.planning.checkpoints.plan import (
    DEFAULT_POPULATION_THRESHOLD,
    OBJECTIVES,
    CheckpointPlan,
    plan_checkpoints,
    separation_pairs,
)
from service.planning.checkpoints.risk import (
    DEFAULT_RISK_WEIGHT,
    DEFAULT_VENUE_WEIGHT,
    RiskDemand,
    risk_demand,
)
from service.planning.checkpoints.spread import default_min_separation

__all__ = [
    "DEFAULT_BOUND_SECONDS",
    "DEFAULT_POPULATION_THRESHOLD",
    "DEFAULT_RISK_WEIGHT",
    "DEFAULT_VENUE_WEIGHT",
    "EMPTY_NETWORK_MESSAGE",
    "FIXED_REASON",
    "JUNCTION_REASON",
    "NETWORK_CHOICES",
    "OBJECTIVES",
    "PREFERRED_FEATURES",
    "ROAD_REASON",
    "TERRAIN_KINDS",
    "TRAIL_END_REASON",
    "TRAIL_JUNCTION_REASON",
    "TRAIL_PARKING_REASON",
    "TRAIL_REASON",
    "TRAIL_ROAD_REASON",
    "USER_REASON",
    "WEIGHTINGS",
    "Certificate",
    "CheckpointPlan",
    "CoverageProblem",
    "MaximalCovering",
    "RiskDemand",
    "Solution",
    "candidate_sites",
    "class_factor",
    "default_min_separation",
    "demand_weights",
    "eligible_edges",
    "lagrangian_bound",
    "plan_checkpoints",
    "read_points",
    "risk_demand",
    "separation_pairs",
    "terrain_sites",
    "thin",
    "user_sites",
]
