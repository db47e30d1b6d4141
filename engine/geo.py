"""Great-circle distances and US ZIP centroids (offline, from `zipcodes`)."""

from __future__ import annotations

import logging
import math
import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import zipcodes

EARTH_RADIUS_MILES = 3958.8

logger = logging.getLogger(__name__)


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


# Every ZIP as a few numpy arrays, sorted by code: a lookup is a binary search. The
# package itself reads all its data at a process's first lookup (a third of a second,
# the interpreter held throughout, at every start of every process) and then scans its
# records at each new ZIP (about half a millisecond); so the arrays are built from it
# once and saved per package version (zip_table_file), and each start reads them in.
_TABLE_FORMAT = 1
_table: _ZipTable | None = None
_looked_up: dict[str, _ZipInfo | None] = {}  # answers given, for a dict lookup next time
_zips_lock = threading.Lock()


class _ZipTable(NamedTuple):
    codes: np.ndarray  # int32, ascending: the ZIP code as a number
    states: np.ndarray  # uint8 per ZIP, an index into `names`
    names: np.ndarray  # the state codes, "U2"
    latitude: np.ndarray  # float64, NaN where the ZIP has no centroid
    longitude: np.ndarray


def zip_table_file() -> Path:
    """Where the compact table is saved: $HARBOR_ZIP_TABLE_DIR, else the project's var/
    (an image builds it there, see the Dockerfile)."""
    folder = os.environ.get("HARBOR_ZIP_TABLE_DIR") or Path(__file__).resolve().parents[1] / "var"
    return Path(folder) / f"zips-{zipcodes.__version__}-{_TABLE_FORMAT}.npz"


def zip_table_load() -> None:
    """Have the whole table now (once per process, even when several threads ask)."""
    _zip_table()


def _zip_table() -> _ZipTable:
    global _table
    if _table is None:
        with _zips_lock:
            if _table is None:
                _table = _read_table(zip_table_file()) or _save_table(_build_table())
    return _table


def _read_table(path: Path) -> _ZipTable | None:
    try:
        with np.load(path, allow_pickle=False) as saved:
            table = _ZipTable(*(saved[name] for name in _ZipTable._fields))
    except (OSError, ValueError, KeyError):
        return None  # not built yet, or unreadable: build it again
    sizes = {len(table.codes), len(table.states), len(table.latitude), len(table.longitude)}
    if len(sizes) != 1 or not (np.diff(table.codes) > 0).all():
        return None
    return table


def _save_table(table: _ZipTable) -> _ZipTable:
    """Save the table for the next process (written aside, then renamed into place, so a
    reader never sees half a file); a folder that cannot be written costs only time."""
    path = zip_table_file()
    written = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as out:
            written = out.name
            np.savez(out, **table._asdict())
        os.chmod(written, 0o644)  # readable by the server's user when root built it
        os.replace(written, path)
    except OSError:
        logger.info("ZIP table not saved to %s; building it at each start", path.parent)
        if written is not None:
            Path(written).unlink(missing_ok=True)
    return table


def _build_table() -> _ZipTable:
    """From the package's records (most of a second), each ZIP as _info reads it; the
    first record of a code, as the package's own lookup answers."""
    infos: dict[int, _ZipInfo] = {}
    for entry in zipcodes.list_all():
        key = entry["zip_code"]
        if _well_formed(key):
            infos.setdefault(int(key), _info(entry))
    # The package keeps every ZIP as a dict of a dozen fields, about 150 MB a process;
    # the table is all Harbor needs, so let it go (the package reloads it if asked).
    if hasattr(zipcodes, "_zips_cache"):
        zipcodes._zips_cache = None
    codes = sorted(infos)
    names = sorted({info.state for info in infos.values()})
    index = {name: number for number, name in enumerate(names)}
    located = [infos[code].centroid or (math.nan, math.nan) for code in codes]
    return _ZipTable(
        codes=np.array(codes, np.int32),
        states=np.array([index[infos[code].state] for code in codes], np.uint8),
        names=np.array(names, "U2"),
        latitude=np.array([lat for lat, _ in located], np.float64),
        longitude=np.array([lon for _, lon in located], np.float64),
    )


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


def _zip_info(zip_code: str) -> _ZipInfo | None:
    """One ZIP: a dict lookup when asked before, else a binary search of the table."""
    key = _normalize_zip(zip_code)
    try:
        return _looked_up[key]
    except KeyError:
        info = _look_up(key)
        if _well_formed(key):  # at most 100,000 of them: nothing a client sends grows it more
            _looked_up[key] = info
        return info


def _well_formed(key: str) -> bool:
    return len(key) == 5 and key.isascii() and key.isdigit()


def _look_up(key: str) -> _ZipInfo | None:
    """One normalised ZIP, from the table."""
    if not _well_formed(key):
        return None  # no such ZIP exists
    table = _zip_table()
    code = int(key)
    row = int(np.searchsorted(table.codes, code))
    if row == len(table.codes) or table.codes[row] != code:
        return None
    latitude, longitude = float(table.latitude[row]), float(table.longitude[row])
    centroid = None if math.isnan(latitude) else (latitude, longitude)
    return _ZipInfo(str(table.names[table.states[row]]), centroid)


def zip_centroids(zip_codes: Iterable[str]) -> dict[str, tuple[float, float] | None]:
    """zip_centroid for many ZIPs at once (a directory load's homes without coordinates)."""
    return {zip_code: zip_centroid(zip_code) for zip_code in set(zip_codes)}


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
