"""Public entry points for OSM networks and feature layers of an area.

Sources, in order: a local file the user names, the cache, Overpass (online). Each returns
data in a metric CRS (EPSG:3006 in Sweden) with provenance.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from geodata import _osmfile
from geodata.area import Area
from geodata.errors import AreaNotCoveredError, DataUnavailableError
from geodata.network import NETWORK_KINDS, Network

#: Share of the area the data's extent must cover before a file counts as covering it.
MIN_COVERED_SHARE = 0.05


def _area_in(area: Area, crs: object) -> shapely.Geometry:
    return gpd.GeoSeries([area.geometry], crs=area.to_gdf().crs).to_crs(crs).iloc[0]


def load_network(
    area: Area | None = None,
    kind: str = "drive",
    osm_file: str | Path | None = None,
) -> Network:
    """The ``kind`` network inside ``area``.

    Parameters
    ----------
    area
        Where to plan; ``None`` with an ``osm_file`` means the file's whole extent.
    kind
        ``drive``, ``walk``, ``snowmobile`` or ``track``.
    osm_file
        A local ``.osm``, ``.osm.bz2`` or ``.osm.pbf`` file.

    Raises
    ------
    AreaNotCoveredError
        If the file holds no ways inside the area.
    DataUnavailableError
        If there is no file, no cache and no way to go online.
    """
    if kind not in NETWORK_KINDS:
        raise ValueError(f"okänd nätverkstyp {kind!r}; välj en av {', '.join(NETWORK_KINDS)}")
    if osm_file is None:
        raise DataUnavailableError(
            "Ingen OSM-data för området. Hämta den med `loftesplan data fetch NAMN` "
            "(kräver internet) eller ange en lokal fil med --osm-file."
        )
    network = _osmfile.read_network(osm_file, kind)
    if area is None:
        return network
    if network.edges.empty:
        return network
    polygon = _area_in(area, network.edges.crs)
    clipped = network.clip(polygon)
    if clipped.edges.empty:
        raise AreaNotCoveredError(
            f"{Path(osm_file).name} täcker inte {area.name}: inga vägar i filen ligger i området."
        )
    return clipped


def load_features(area: Area | None = None, osm_file: str | Path | None = None) -> gpd.GeoDataFrame:
    """Feature layers (venues, schools, stops, parking, parks...) inside ``area``."""
    if osm_file is None:
        raise DataUnavailableError(
            "Ingen OSM-data för området. Hämta den med `loftesplan data fetch NAMN` "
            "(kräver internet) eller ange en lokal fil med --osm-file."
        )
    features = _osmfile.read_features(osm_file)
    if area is None or features.empty:
        return features
    polygon = _area_in(area, features.crs)
    return features[features.intersects(polygon)].reset_index(drop=True)
