"""Cut a municipality (or any area) out of a large imported OSM extract, on demand.

A network without internet keeps one file (a county, or all of Sweden at about 700 MB as
PBF), imported with ``loftesplan data import osm``; each area is cut from it by its polygon
the first time it is needed and the cut is kept in the cache.
"""

from __future__ import annotations

import logging
from pathlib import Path

from geodata.area import Area
from geodata.imported import osm_files
from geodata.osm._file import file_extent
from geodata.settings import get_settings

log = logging.getLogger(__name__)

#: The cut reaches this far beyond the area, so roads that leave and come back stay whole.
MARGIN_M = 1000.0


def osm_extract_for(area: Area) -> Path | None:
    """An OSM file for ``area`` cut from an imported extract that covers it, or None.

    The cut (ways with a node inside the area, their nodes, tagged nodes inside and the
    relations of kept ways) is made once per area and source file and kept in the cache.
    """
    box = area.wgs84.bounds
    for source in osm_files():
        extent = file_extent(source)
        if extent is not None and not (
            extent[0] <= box[0]
            and extent[1] <= box[1]
            and extent[2] >= box[2]
            and extent[3] >= box[3]
        ):
            continue
        stamp = f"{source.stat().st_size}-{int(source.stat().st_mtime)}"
        key = (area.code or area.name).replace("/", "_").replace(" ", "_")
        target = (
            get_settings().cache_dir
            / "osm-extracts"
            / f"{source.name.split('.')[0]}-{key}-{stamp}.osm.pbf"
        )
        if not target.is_file():
            cut_extract(source, area, target)
        return target
    return None


def cut_extract(source: Path, area: Area, target: Path) -> Path:
    """Write the part of ``source`` inside ``area`` (plus 1 km) to ``target`` with pyosmium."""
    import osmium
    import shapely

    polygon = area.to_gdf().buffer(MARGIN_M).to_crs("EPSG:4326").iloc[0]
    shapely.prepare(polygon)
    west, south, east, north = polygon.bounds
    kept_ways: set[int] = set()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part.osm.pbf")
    tmp.unlink(missing_ok=True)

    def inside(lon: float, lat: float) -> bool:
        return (
            west <= lon <= east and south <= lat <= north and shapely.contains_xy(polygon, lon, lat)
        )

    with osmium.BackReferenceWriter(str(tmp), ref_src=str(source), overwrite=True) as writer:
        for obj in osmium.FileProcessor(str(source)).with_locations():
            if obj.is_node():
                if obj.tags and obj.location.valid() and inside(obj.location.lon, obj.location.lat):
                    writer.add_node(obj)
            elif obj.is_way():
                if any(n.location.valid() and inside(n.lon, n.lat) for n in obj.nodes):
                    kept_ways.add(obj.id)
                    writer.add_way(obj)
            elif obj.is_relation() and any(
                m.type == "w" and m.ref in kept_ways for m in obj.members
            ):
                writer.add_relation(obj)
    tmp.replace(target)
    log.info("Cut %s to %s (%d ways)", source.name, target.name, len(kept_ways))
    return target
