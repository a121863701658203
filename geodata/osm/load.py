"""Public entry points for OSM networks and feature layers of an area.

Sources, in order: the cache (unless ``refresh``), a local file the user names, Overpass
(online). Every result is in a metric CRS (EPSG:3006 in Sweden, local UTM abroad) and
carries provenance: ``Network.provenance`` or ``features.attrs["provenance"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geodata import WGS84
from geodata.area import Area
from geodata.errors import AreaNotCoveredError, InvalidInputError
from geodata.network import NETWORK_KINDS, Network, Provenance
from geodata.online import require_overpass
from geodata.osm import _file as _osmfile
from geodata.osm import cache

log = logging.getLogger(__name__)

#: Share of the area a file's extent must cover; below it the file "does not cover" the area.
MIN_COVERED_SHARE = 0.5
#: Kinds that may legitimately be empty in an area (few places tag skoterleder or tracks).
_MAY_BE_EMPTY = frozenset({"snowmobile", "track"})

NO_AREA_MESSAGE = "Ange ett område (kommun eller polygon) för att hämta OSM-data."

#: Called with a short Swedish description of each step (for progress displays).
Progress = Callable[[str], None]


@dataclass
class AreaData:
    """Everything the data layer knows about one area."""

    area: Area | None
    networks: dict[str, Network]
    features: gpd.GeoDataFrame | None
    cache_dirs: set[str] = field(default_factory=set)


def _check_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    kinds = tuple(kinds)
    for kind in kinds:
        if kind not in NETWORK_KINDS:
            raise InvalidInputError(
                f"Okänd nätverkstyp {kind!r}; välj en av {', '.join(NETWORK_KINDS)}."
            )
    return kinds


def _local_file(area: Area | None, osm_file: str | Path | None) -> Path | None:
    """The user's file; else an extract cut from an imported OSM file covering ``area``."""
    if osm_file is not None:
        return _osmfile.check_osm_file(osm_file)
    if area is None:
        return None
    from geodata.osm.extract import osm_extract_for

    return osm_extract_for(area)


def _area_in(area: Area, crs: object) -> shapely.Geometry:
    return gpd.GeoSeries([area.geometry], crs=area.to_gdf().crs).to_crs(crs).iloc[0]


def _check_coverage(
    area: Area, osm_file: Path, extent: tuple[float, float, float, float] | None
) -> None:
    """Raise unless the file's extent covers at least ``MIN_COVERED_SHARE`` of the area."""
    if extent is None:
        raise AreaNotCoveredError(f"{osm_file.name} innehåller inga vägar eller objekt alls.")
    box = Area.from_wgs84(shapely.box(*extent), name=osm_file.name, source="file").geometry
    share = float(area.geometry.intersection(box).area / area.geometry.area)
    lon0, lat0, lon1, lat1 = extent
    where = f"filen omfattar {lat0:.3f}–{lat1:.3f}° N, {lon0:.3f}–{lon1:.3f}° E"
    if share <= 0:
        raise AreaNotCoveredError(
            f"{osm_file.name} täcker inte {area.name}: {where}, området ligger utanför. "
            "Använd en fil som omfattar området."
        )
    if share < MIN_COVERED_SHARE:
        raise AreaNotCoveredError(
            f"{osm_file.name} täcker bara {share:.0%} av {area.name} ({where}). "
            "En plan på så lite data vore missvisande; använd en fil som omfattar hela området."
        )
    if share < 0.99:
        log.warning("%s covers %.0f%% of %s", osm_file.name, share * 100, area.name)


def _data_extent(
    osm_file: Path, networks: Iterable[Network], features: gpd.GeoDataFrame | None = None
) -> tuple[float, float, float, float] | None:
    """The header's bounding box, else the bounds of what was read (WGS 84)."""
    extent = _osmfile.file_extent(osm_file)
    if extent is not None:
        return extent
    bounds = [n.nodes[["lon", "lat"]] for n in networks if len(n.nodes)]
    if bounds:
        both = pd.concat(bounds)
        return (both.lon.min(), both.lat.min(), both.lon.max(), both.lat.max())
    if features is not None and len(features):
        return tuple(features.to_crs(WGS84).total_bounds)
    return None


def _clip_network(network: Network, area: Area, osm_file: Path) -> Network:
    clipped = network.clip(_area_in(area, network.edges.crs)) if len(network.edges) else network
    if clipped.edges.empty and network.kind not in _MAY_BE_EMPTY:
        raise AreaNotCoveredError(
            f"{osm_file.name} har inga vägar av typen {network.kind!r} inom {area.name}."
        )
    return clipped


def _from_file(
    area: Area | None, kinds: tuple[str, ...], osm_file: Path, progress: Progress | None
) -> dict[str, Network]:
    if progress:
        progress(f"Läser vägnät ({', '.join(kinds)}) ur {osm_file.name}")
    networks = _osmfile.read_networks(osm_file, kinds)
    if area is None:
        return networks
    _check_coverage(area, osm_file, _data_extent(osm_file, networks.values()))
    return {kind: _clip_network(net, area, osm_file) for kind, net in networks.items()}


def _from_overpass(
    area: Area | None, kinds: tuple[str, ...], progress: Progress | None
) -> dict[str, Network]:
    if area is None:
        raise InvalidInputError(NO_AREA_MESSAGE)
    require_overpass(f"OSM-data för {area.name}")
    from geodata.osm import _overpass

    networks = {}
    for kind in kinds:
        if progress:
            progress(f"Hämtar vägnät ({kind}) från Overpass")
        networks[kind] = _overpass.network_from_area(area, kind)
    return networks


def load_networks(
    area: Area | None = None,
    kinds: Iterable[str] = ("drive",),
    osm_file: str | Path | None = None,
    *,
    use_cache: bool = True,
    refresh: bool = False,
    progress: Progress | None = None,
) -> dict[str, Network]:
    """Several networks of ``area`` at once; a file is read in one pass for all kinds.

    See :func:`load_network` for the parameters and errors.
    """
    kinds = _check_kinds(kinds)
    path = _local_file(area, osm_file)
    result: dict[str, Network] = {}
    if use_cache and not refresh:
        for kind in kinds:
            hit = cache.load_network(area, kind, path)
            if hit is not None:
                result[kind] = hit
    missing = tuple(k for k in kinds if k not in result)
    if not missing:
        return result
    if path is not None:
        fresh = _from_file(area, missing, path, progress)
    else:
        fresh = _from_overpass(area, missing, progress)
    if use_cache:
        for network in fresh.values():
            cache.save_network(area, network, path)
    result.update(fresh)
    return {kind: result[kind] for kind in kinds}


def load_network(
    area: Area | None = None,
    kind: str = "drive",
    osm_file: str | Path | None = None,
    *,
    use_cache: bool = True,
    refresh: bool = False,
) -> Network:
    """The ``kind`` network inside ``area``.

    Parameters
    ----------
    area
        Where to plan; ``None`` with an ``osm_file`` means the file's whole extent.
    kind
        ``drive``, ``walk``, ``snowmobile`` (ways tagged ``snowmobile=yes|designated`` and
        members of ``route=snowmobile`` relations) or ``track``.
    osm_file
        A local ``.osm``, ``.osm.bz2`` or ``.osm.pbf`` file. A cached copy is used only if
        the file has not changed since (same path, size and modification time).
    use_cache
        Read from and write to the cache under ``LOFTESPLAN_CACHE_DIR``.
    refresh
        Ignore what is cached (it is overwritten).

    Returns
    -------
    Network
        Edges that intersect the area, whole; ``provenance.source`` is ``"file"``,
        ``"overpass"`` or ``"cache"``.

    Raises
    ------
    AreaNotCoveredError
        If the file does not cover the area (less than half of it inside the file's extent,
        or no ways of a road kind inside the area).
    DataUnavailableError
        If there is no file, no cache and no way to go online, or the file is corrupt.
    """
    return load_networks(area, (kind,), osm_file, use_cache=use_cache, refresh=refresh)[kind]


def load_features(
    area: Area | None = None,
    osm_file: str | Path | None = None,
    *,
    use_cache: bool = True,
    refresh: bool = False,
    progress: Progress | None = None,
) -> gpd.GeoDataFrame:
    """Feature layers (venues, schools, stops, parking, parks...) inside ``area``.

    Returns
    -------
    GeoDataFrame
        Columns ``kind`` (see ``geodata.osm.tags.FEATURE_KINDS``), ``osm_type``, ``osm_id``,
        ``name`` and further tags; geometry in a metric CRS. ``attrs["provenance"]`` holds
        the provenance as a mapping.

    Raises
    ------
    AreaNotCoveredError, DataUnavailableError
        As :func:`load_network`.
    """
    path = _local_file(area, osm_file)
    if use_cache and not refresh:
        hit = cache.load_features(area, path)
        if hit is not None:
            return hit
    if path is not None:
        if progress:
            progress(f"Läser objekt (serveringar, skolor, hållplatser...) ur {path.name}")
        features = _osmfile.read_features(path)
        provenance = Provenance(
            source="file",
            detail=str(path),
            data_date=features.attrs.get("data_date"),
            crs=str(features.crs),
        )
        if area is not None:
            _check_coverage(area, path, _data_extent(path, (), features))
            if len(features):
                polygon = _area_in(area, features.crs)
                features = features[features.intersects(polygon)].reset_index(drop=True)
    else:
        if area is None:
            raise InvalidInputError(
                "Ange ett område (kommun eller polygon) för att hämta OSM-data."
            )
        require_overpass(f"Objekt (serveringar, skolor, hållplatser) för {area.name}")
        from geodata.osm import _overpass

        if progress:
            progress("Hämtar objekt från Overpass")
        features, provenance = _overpass.features_from_area(area)
    if use_cache:
        cache.save_features(area, features, provenance, path)
    features.attrs["provenance"] = provenance.to_dict()
    return features


def load_area(
    area: Area | None,
    osm_file: str | Path | None = None,
    kinds: Iterable[str] = ("drive", "walk"),
    *,
    features: bool = True,
    refresh: bool = False,
    progress: Progress | None = None,
) -> AreaData:
    """Networks and feature layers of ``area``, stored in the cache (``data fetch``)."""
    networks = load_networks(area, kinds, osm_file, refresh=refresh, progress=progress)
    layers = load_features(area, osm_file, refresh=refresh, progress=progress) if features else None
    key = cache.area_key(area, osm_file) if (area is not None or osm_file is not None) else None
    dirs = {str(cache.cache_root() / key.dirname)} if key else set()
    return AreaData(area=area, networks=networks, features=layers, cache_dirs=dirs)


#: ``lit`` values that mean "not lit"; any other value (yes, 24/7, automatic...) means lit.
_UNLIT = frozenset({"no", "disused", "none"})


def lit_summary(network: Network) -> pd.DataFrame:
    """Length of the network that is lit, unlit and untagged.

    Returns
    -------
    DataFrame
        Index ``yes``, ``no``, ``missing``; columns ``length_km`` and ``share`` (of the
        total length, 0–1).
    """
    lit = network.edges["lit"] if "lit" in network.edges else pd.Series(index=network.edges.index)
    state = pd.Series("yes", index=network.edges.index)
    state[lit.isin(list(_UNLIT)).to_numpy()] = "no"
    state[lit.isna().to_numpy()] = "missing"
    km = network.edges["length"].groupby(state).sum().div(1000.0)
    km = km.reindex(["yes", "no", "missing"], fill_value=0.0)
    total = km.sum()
    return pd.DataFrame({"length_km": km, "share": km / total if total > 0 else 0.0})
