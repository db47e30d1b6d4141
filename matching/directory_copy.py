"""A full load's two COPY streams read in pieces straight into compact columns.

PostgreSQL's COPY hands the client one row at a time; the readers here gather the rows
into pieces of about PIECE bytes and turn each piece into numpy columns at once, so no
Python object is made per home and the load's peak stays near the directory's own size
(a million homes read as tuples left the process holding about a kilobyte a home,
most of it freed but not returned to the system).

- `Numbers`: the binary COPY of the numbers and the tag sets' hashes
  (directory_sql.binary_load), fixed-width rows, each piece one numpy record array,
  split into native columns.
- `Words`: the text COPY of the words (directory_sql.WORDS_COPY): id, name, state, ZIP,
  intake phone and contact name, tab-separated. A piece is split on its tabs and
  newlines in bulk; the names, and the contacts (engine.directory.contact_text), become
  UTF-8 buffers with offsets (engine.Texts), the states codes into their few distinct
  values (engine.Coded), the ZIPs a fixed-width column. A piece holding a
  backslash (COPY's escape: a name with a tab or a backslash in it) is read row by
  row instead, which is rare and as correct.
"""

from __future__ import annotations

import io
import re
import weakref
from collections.abc import Buffer, Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from engine.directory import CONTACT, Coded, Texts, contact_text
from matching.directory_sql import (
    BINARY_HEADER,
    BINARY_NAMES,
    BINARY_ROW,
    CONTACT_COLUMNS,
    HASHED,
    WORDS,
    from_binary_flags,
    from_binary_times,
)

# Bytes gathered before a piece is parsed: big enough that numpy's per-call overhead
# vanishes, small enough that a piece's temporaries stay a few megabytes.
PIECE = 4 << 20
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_TRAILER = b"\xff\xff"
# The words' columns: the id, the WORDS (name, state, zip_code), then the contact's two
# (intake_phone, contact_name: side by side, so the tab between them becomes the NUL of
# contact_text in place).
_COLUMNS = ("id", *WORDS, *CONTACT_COLUMNS)
# The binary load's columns: the numbers (the flags packed in one), then the tag sets'
# hashes.
_NUMBERS = (*BINARY_NAMES, *HASHED)
_TAB, _NEWLINE = 9, 10
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_ESCAPE = re.compile(r"\\(.)")


class LayoutError(ValueError):
    """The stream is not laid out as asked for (read the homes another way)."""


class _Gathered(io.RawIOBase):
    """What a buffered writer hands on, a piece at a time, to `gather`: held weakly, so
    the sink and its writer make no reference cycle (the sink is freed when its reader
    lets go of it, not at the collector's next pass, which a load before the fork
    never runs: gc.freeze would keep it for good)."""

    def __init__(self, gather: Callable[[memoryview], None]) -> None:
        super().__init__()
        self._gather = weakref.WeakMethod(gather)

    def writable(self) -> bool:
        return True

    def write(self, data: Buffer) -> int:
        view = memoryview(data)  # what the buffered writer hands on is one already
        gather = self._gather()
        if gather is not None:
            gather(view)
        return view.nbytes


class _Pieces:
    """A file-like sink for cursor.copy_expert: rows gathered, parsed a piece at a time.

    psycopg2 calls `write` once a row: it is a buffered writer's own (C), which gathers
    the rows and calls into this class's Python once every PIECE bytes. Python called
    once a row cost about 3.5 µs a row (a million homes: seconds of the parent's time,
    the three reading threads taking turns at the interpreter)."""

    def __init__(self) -> None:
        self._pending = bytearray()
        self._buffered = io.BufferedWriter(_Gathered(self._gather), PIECE)
        self.write = self._buffered.write

    def _gather(self, data: memoryview) -> None:
        pending = self._pending
        pending += data
        if len(pending) >= PIECE:
            self._take(final=False)

    def finish(self) -> None:
        self._buffered.flush()
        self._take(final=True)

    def _take(self, *, final: bool) -> None:
        raise NotImplementedError


class Numbers(_Pieces):
    """The binary load: `columns()` gives one native numpy array per NUMBERS and HASHED
    name, in the order the rows came (see in_id_order)."""

    def __init__(self) -> None:
        super().__init__()
        self._header = False
        self._chunks: dict[str, list[np.ndarray]] = {name: [] for name in _NUMBERS}

    def _take(self, *, final: bool) -> None:
        pending = self._pending
        start = 0
        if not self._header:
            if len(pending) < BINARY_HEADER and not final:
                return
            # The signature, no flags, no header extension (anything else: another layout).
            if bytes(pending[:11]) != _SIGNATURE or bytes(pending[11:19]) != bytes(8):
                raise LayoutError("unexpected COPY header")
            self._header, start = True, BINARY_HEADER
        size = (len(pending) - start) // BINARY_ROW.itemsize
        if final:
            if len(pending) - start - size * BINARY_ROW.itemsize != len(_TRAILER):
                raise LayoutError("rows of an unexpected width")
            if bytes(pending[-len(_TRAILER) :]) != _TRAILER:
                raise LayoutError("no COPY trailer")
        stop = start + size * BINARY_ROW.itemsize
        if size:
            rows = np.frombuffer(bytes(pending[start:stop]), BINARY_ROW)
            if not layout_holds(rows):
                raise LayoutError("a field of an unexpected width (or null)")
            for name, chunks in self._chunks.items():
                chunks.append(rows[name].astype(rows.dtype[name].newbyteorder("=")))
        del pending[:stop]

    def columns(self) -> dict[str, np.ndarray]:
        columns = {}
        for name, chunks in self._chunks.items():
            columns[name] = (
                np.concatenate(chunks)
                if chunks
                else np.zeros(0, BINARY_ROW[name].newbyteorder("="))
            )
            chunks.clear()  # each column's pieces freed as it is joined
        from_binary_times(columns)
        from_binary_flags(columns)
        return columns


def in_id_order(ids: np.ndarray) -> np.ndarray | None:
    """The positions that put `ids` in ascending order, one per id (the first of a
    repeated one), or None when they are ascending already. The COPYs come in the
    table's order, nearly ascending, which the stable sort takes in about one pass.
    An id can come twice from two halves read under two snapshots, a home written
    between them (its change log entry is past the load's bounds: the next sync reads
    it again)."""
    if not len(ids) or (ids[1:] > ids[:-1]).all():
        return None
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    first = np.ones(len(ids), np.bool_)
    first[1:] = ordered[1:] != ordered[:-1]
    return order[first]


def layout_holds(rows: np.ndarray) -> bool:
    """Every row has the fields asked for, each as wide as its type (none null)."""
    if not len(rows):
        return True
    if not (rows["fields"] == len(_NUMBERS)).all():
        return False
    return all((rows[f"{name}_length"] == rows.dtype[name].itemsize).all() for name in _NUMBERS)


class Words(_Pieces):
    """The text COPY of the words; `columns()` gives the batch's word columns and ids."""

    def __init__(self) -> None:
        super().__init__()
        self._ids: list[np.ndarray] = []
        self._names: list[bytes] = []
        self._name_lengths: list[np.ndarray] = []
        self._contacts: list[bytes] = []
        self._contact_lengths: list[np.ndarray] = []
        self._zips: list[np.ndarray] = []
        # States: each distinct value's code, and the codes of each piece.
        self._distinct: dict[str, dict[bytes, int]] = {"state": {}}
        self._codes: dict[str, list[np.ndarray]] = {name: [] for name in self._distinct}

    def _take(self, *, final: bool) -> None:
        pending = self._pending
        end = len(pending) if final else pending.rfind(b"\n") + 1
        if end <= 0:
            return
        if final and pending and pending[-1] != _NEWLINE:
            raise LayoutError("a row without its end")
        piece = bytes(pending[:end])
        del pending[:end]
        fields = _split_slowly(piece) if b"\\" in piece else _split(piece)
        self._add(*fields)

    def _add(self, ids: np.ndarray, runs: dict[str, tuple[bytes, np.ndarray]], texts: dict) -> None:
        self._ids.append(ids)
        self._names.append(runs["name"][0])
        self._name_lengths.append(runs["name"][1])
        self._contacts.append(runs[CONTACT][0])
        self._contact_lengths.append(runs[CONTACT][1])
        self._zips.append(texts["zip_code"])
        for name, distinct in self._distinct.items():
            values, inverse = np.unique(texts[name], return_inverse=True)
            local = np.array(
                [distinct.setdefault(value, len(distinct)) for value in values.tolist()], np.intp
            )
            self._codes[name].append(local[inverse.ravel()])

    def columns(self) -> tuple[np.ndarray, dict[str, Any]]:
        """(ids, {name: Texts, contact: Texts, state: Coded, zip_code: U5 array})."""

        def joined(chunks: list[np.ndarray], dtype: npt.DTypeLike) -> np.ndarray:
            return np.concatenate(chunks) if chunks else np.zeros(0, dtype)

        def texts(buffers: list[bytes], chunks: list[np.ndarray]) -> Texts:
            lengths = joined(chunks, np.int64)
            starts = np.zeros(len(lengths), np.int64)
            np.cumsum(lengths[:-1], out=starts[1:])
            return Texts(b"".join(buffers), starts, lengths)

        ids = joined(self._ids, np.int64)
        columns: dict[str, Any] = {
            "name": texts(self._names, self._name_lengths),
            CONTACT: texts(self._contacts, self._contact_lengths),
            "zip_code": joined(self._zips, "S5").astype("U5"),
        }
        for name, distinct in self._distinct.items():
            values = [value.decode() for value in distinct]
            columns[name] = Coded(values, joined(self._codes[name], np.intp))
        self._names, self._name_lengths, self._zips = [], [], []
        self._contacts, self._contact_lengths = [], []
        return ids, columns


# What a piece's rows become: their ids; the names' and the contacts' bytes, each row's
# run after the other's, with each run's length; and the other words' columns.
Split = tuple[np.ndarray, dict[str, tuple[bytes, np.ndarray]], dict[str, np.ndarray]]


def _split(piece: bytes) -> Split:
    """Whole rows of COPY text with no escape in them, split in bulk."""
    buffer = np.frombuffer(piece, np.uint8)
    separators = np.flatnonzero((buffer == _TAB) | (buffer == _NEWLINE))
    width = len(_COLUMNS)
    if len(separators) % width:
        raise LayoutError("rows with an unexpected number of fields")
    ends = separators.reshape(-1, width)
    if not (buffer[ends[:, -1]] == _NEWLINE).all() or (buffer[ends[:, :-1]] != _TAB).any():
        raise LayoutError("rows with an unexpected number of fields")
    starts = np.empty_like(ends)
    starts[0, 0] = 0
    starts[1:, 0] = ends[:-1, -1] + 1
    starts[:, 1:] = ends[:, :-1] + 1
    lengths = ends - starts
    column = {name: index for index, name in enumerate(_COLUMNS)}

    def fixed(name: str, size: int | None = None) -> np.ndarray:
        """A column's values as fixed-width bytes (numpy 'S'), zero-padded."""
        index = column[name]
        longest = int(lengths[:, index].max()) if len(lengths) else 0
        size = max(1, longest if size is None else size)
        if longest > size:
            raise LayoutError(f"{name} longer than {size}")
        padded = np.concatenate((buffer, np.zeros(size, np.uint8)))
        matrix = sliding_window_view(padded, size)[starts[:, index]]
        matrix[np.arange(size) >= lengths[:, index, None]] = 0
        return np.ascontiguousarray(matrix).view(f"S{size}").ravel()

    ids = _integers(fixed("id"))
    name = column["name"]
    names = _runs(buffer, starts[:, name], ends[:, name])
    # The contacts: from the phone's first byte to the contact name's end, the tab
    # between them made the NUL of contact_text.
    phone, contact = (column[name] for name in CONTACT_COLUMNS)
    joined = buffer.copy()
    joined[ends[:, phone]] = 0
    contacts = _runs(joined, starts[:, phone], ends[:, contact])
    texts = {
        "state": fixed("state"),
        "zip_code": fixed("zip_code", 5),
    }
    runs = {
        "name": (names, lengths[:, name].astype(np.int64)),
        CONTACT: (contacts, (ends[:, contact] - starts[:, phone]).astype(np.int64)),
    }
    return ids, runs, texts


def _runs(buffer: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bytes:
    """Every byte from each start up to its end, in order (a +1 at each start, a -1 at
    each end, summed): the runs, ascending and apart, joined."""
    inside = np.zeros(len(buffer) + 1, np.int8)
    filled = ends > starts
    inside[starts[filled]] = 1
    inside[ends[filled]] = -1
    return buffer[np.cumsum(inside[:-1], dtype=np.int8).view(np.bool_)].tobytes()


def _integers(digits: np.ndarray) -> np.ndarray:
    """Fixed-width ASCII digits (zero-padded at the end) as int64."""
    matrix = digits.view(np.uint8).reshape(len(digits), -1)
    values = np.zeros(len(digits), np.int64)
    for place in range(matrix.shape[1]):
        digit = matrix[:, place].astype(np.int64)
        present = digit != 0
        if ((digit[present] < 48) | (digit[present] > 57)).any():
            raise LayoutError("an id that is not a number")
        values = np.where(present, values * 10 + digit - 48, values)
    return values


def _split_slowly(piece: bytes) -> Split:
    """Whole rows of COPY text, escapes read, a row at a time."""
    rows = [
        [_ESCAPE.sub(_unescape, value) for value in line.split("\t")]
        for line in piece.decode().split("\n")[:-1]
    ]
    if any(len(row) != len(_COLUMNS) for row in rows):
        raise LayoutError("rows with an unexpected number of fields")
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(_COLUMNS)
    by_name = dict(zip(_COLUMNS, columns, strict=True))
    names = [value.encode() for value in by_name["name"]]
    contacts = [
        contact_text(*values).encode()
        for values in zip(*(by_name[name] for name in CONTACT_COLUMNS), strict=True)
    ]
    texts = {
        name: np.array([value.encode() for value in by_name[name]] or [b""], "S")[: len(rows)]
        for name in ("state", "zip_code")
    }
    if len(texts["zip_code"]) and texts["zip_code"].dtype.itemsize > 5:
        raise LayoutError("zip_code longer than 5")
    runs = {
        field: (b"".join(values), np.array([len(value) for value in values], np.int64))
        for field, values in (("name", names), (CONTACT, contacts))
    }
    return np.array([int(value) for value in by_name["id"]], np.int64), runs, texts


def _unescape(found: re.Match[str]) -> str:
    return _ESCAPES.get(found[1], found[1])
