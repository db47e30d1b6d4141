"""Great-circle distances and US ZIP centroids (offline, from `zipcodes`)."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import zipcodes

EARTH_RADIUS_MILES = 3958.8


def great_circle_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in miles between two points given in degrees."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    sin_dphi = math.sin((phi2 - phi1) / 2)
    sin_dlambda = math.sin(math.radians(lon2 - lon1) / 2)
    a = sin_dphi * sin_dphi + math.cos(phi1) * math.cos(phi2) * sin_dlambda * sin_dlambda
    # min() guards against a rounding a hair above 1 for antipodal points.
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def great_circle_miles_np(
    lat: float, lon: float, lat_array: np.ndarray, lon_array: np.ndarray
) -> np.ndarray:
    """Haversine distance in miles from one point to many, all in degrees."""
    phi1 = math.radians(lat)
    phi2 = np.radians(np.asarray(lat_array, dtype=np.float64))
    sin_dphi = np.sin((phi2 - phi1) / 2)
    sin_dlambda = np.sin(np.radians(np.asarray(lon_array, dtype=np.float64) - lon) / 2)
    a = sin_dphi * sin_dphi + math.cos(phi1) * np.cos(phi2) * sin_dlambda * sin_dlambda
    return 2 * EARTH_RADIUS_MILES * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points on the unit sphere for coordinates in degrees.

    The squared chord between two such points is accurate even for points a
    few feet apart, and costs no trigonometry per pair, which is what makes a
    distance to 250,000 homes cheap.
    """
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    cos_phi = np.cos(phi)
    return cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)


def chord2_to_miles(chord2: np.ndarray) -> np.ndarray:
    """Great-circle miles from squared unit-sphere chords."""
    return 2 * EARTH_RADIUS_MILES * np.arcsin(np.minimum(1.0, np.sqrt(chord2) / 2))


def miles_to_chord2(miles: float) -> float:
    """Squared unit-sphere chord of a great-circle distance (inverse of chord2_to_miles)."""
    half_angle = min(miles / EARTH_RADIUS_MILES, math.pi) / 2
    return (2 * math.sin(half_angle)) ** 2


class _ZipInfo(NamedTuple):
    state: str
    centroid: tuple[float, float] | None


def _normalize_zip(zip_code: str) -> str:
    # Accept ZIP+4 ("66101-1234") and stray whitespace from forms.
    return zip_code.strip()[:5]


_zips: dict[str, _ZipInfo] | None = None  # every ZIP, once a bulk lookup asked for it
_looked_up: dict[str, _ZipInfo | None] = {}  # ZIPs asked for one at a time, until then
_zips_lock = threading.Lock()
# A bulk lookup of more distinct ZIPs than this builds the whole table (most of a
# second) instead of looking each up (a fraction of a millisecond each).
_BULK_ZIPS = 2000


def zip_table_load() -> None:
    """Build the whole ZIP table now, once per process even when several threads ask."""
    _zip_table()


def _zip_table() -> dict[str, _ZipInfo]:
    global _zips
    if _zips is None:
        with _zips_lock:
            if _zips is None:
                _zips = _build_zip_table()
    return _zips


def _info(entry: dict) -> _ZipInfo:
    centroid = None
    try:
        lat, lon = float(entry["lat"]), float(entry["long"])
    except (KeyError, TypeError, ValueError):
        pass
    else:
        # Military and some PO-box ZIPs ship 0/0 or blanks; a centroid in
        # the Gulf of Guinea would silently wreck distances.
        if lat and lon:
            centroid = (lat, lon)
    # Keep the state even without a centroid: it is still true.
    return _ZipInfo(entry["state"], centroid)


def _build_zip_table() -> dict[str, _ZipInfo]:
    # list_all() takes most of a second: only for a bulk lookup.
    table = {entry["zip_code"]: _info(entry) for entry in zipcodes.list_all()}
    # The package caches every ZIP as a dict of a dozen fields, about 150 MB a process;
    # this table is all Harbor needs, so let it go (the package reloads it if asked).
    if hasattr(zipcodes, "_zips_cache"):
        zipcodes._zips_cache = None
    return table


def _zip_info(zip_code: str) -> _ZipInfo | None:
    """One ZIP, from the whole table when it is built, else looked up by itself (the
    package's first lookup reads its data in a quarter of a second; a server does that
    before it forks) and remembered."""
    key = _normalize_zip(zip_code)
    if _zips is not None:
        return _zips.get(key)
    try:
        return _looked_up[key]
    except KeyError:
        info = _looked_up[key] = _look_up(key)
        return info


def _look_up(key: str) -> _ZipInfo | None:
    """One normalised ZIP, asked of the package by itself."""
    if not (len(key) == 5 and key.isascii() and key.isdigit()):
        return None  # the package raises on these; no such ZIP exists
    entries = [entry for entry in zipcodes.matching(key) if entry["zip_code"] == key]
    return _info(entries[0]) if entries else None


def zip_centroids(zip_codes: Iterable[str]) -> dict[str, tuple[float, float] | None]:
    """zip_centroid for many ZIPs at once (a directory load's homes without coordinates)."""
    distinct = set(zip_codes)
    if _zips is None and len(distinct - _looked_up.keys()) > _BULK_ZIPS:
        zip_table_load()
    return {zip_code: zip_centroid(zip_code) for zip_code in distinct}


def zip_centroid(zip_code: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a US ZIP code, or None if unknown or unlocated."""
    info = _zip_info(zip_code)
    return info.centroid if info else None


def home_location(
    latitude: float | None, longitude: float | None, zip_code: str
) -> tuple[float, float] | None:
    """Where a home is: its own coordinates, else its ZIP's centroid; None if neither."""
    if latitude is not None and longitude is not None:
        return latitude, longitude
    return zip_centroid(zip_code)


def zip_state(zip_code: str) -> str | None:
    """USPS state code of a US ZIP code, or None if unknown."""
    info = _zip_info(zip_code)
    return info.state if info else None
