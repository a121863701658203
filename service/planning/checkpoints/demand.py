"""Demand: the weight of every road piece (length, road class, population or risk)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.errors import InvalidInputError
from geodata.network import ROAD_CLASS_RANK, Network, base_class
from service.planning.checkpoints.risk import RiskDemand
from service.planning.distances import (
    DemandPieces,
    settlement_pieces,
)

#: ``--weighting`` choices.
WEIGHTINGS = ("length", "class", "population", "risk")

# --------------------------------------------------------------------------- demand


def class_factor(highway: pd.Series) -> np.ndarray:
    """Traffic proxy by road class: doubles every two steps up ``ROAD_CLASS_RANK``."""
    rank = highway.astype(str).map(lambda h: ROAD_CLASS_RANK.get(base_class(h), 8))
    return np.power(2.0, (6 - rank.to_numpy(float)) / 2.0)


def demand_weights(
    network: Network,
    pieces: DemandPieces,
    weighting: str = "length",
    settlements: gpd.GeoDataFrame | None = None,
    risk: RiskDemand | None = None,
) -> np.ndarray:
    """Weight of each road piece.

    ``length``: metres. ``class``: metres × a road-class traffic proxy. ``population``: half the
    total weight is road length, half is settlement population spread over the settlement's
    roads by length (without settlements this falls back to length). ``risk``: road length
    mixed with Polisen's traffic notices and licensed venues placed on the pieces (``risk``,
    from :func:`~service.planning.risk.risk_demand`).
    """
    length = pieces.length
    if weighting == "risk":
        if risk is None:
            raise InvalidInputError(
                "Riskviktning behöver Polisens händelser för området.", field="weighting"
            )
        return risk.weights(length)
    if weighting == "length":
        return length.copy()
    if weighting == "class":
        return length * class_factor(network.edges["highway"]).astype(float)[pieces.edge]
    if weighting == "population":
        if settlements is None or settlements.empty:
            return length.copy()
        member = settlement_pieces(network, pieces, settlements).astype(float)
        pop = settlements["population"].fillna(0).to_numpy(float)
        road_in = member.T @ length  # road metres per settlement
        per_m = np.divide(pop, road_in, out=np.zeros_like(pop), where=road_in > 0)
        people = length * (member @ per_m)
        scale = length.sum() / people.sum() if people.sum() > 0 else 0.0
        return length + scale * people
    raise InvalidInputError(
        f"Okänd viktning {weighting!r}; välj {', '.join(WEIGHTINGS)}.", field="weighting"
    )
