"""Text columns of a batch of events turned into numbers in a few vectorised steps.

The ingest loop keeps timestamps and audit IDs as the strings it decoded and converts a whole
batch at once: per-event Python work is what limits indexing speed, and numpy does these
conversions at tens of nanoseconds an event. Values outside the strict common form go through the
per-value parsers, so the result is always exactly what those parsers give.
"""

from __future__ import annotations

import binascii

import numpy as np

from kaudit_tui.core.store import OTHER_ID, split_audit_id
from kaudit_tui.core.tables import InternTable
from kaudit_tui.core.timestamps import (
    NO_TIME,
    RECEIVED_ORDER,
    STAGE_ORDER,
    EventTimes,
    parse_time,
)

_MICRO_TIME_ROW = b"0000-00-00T00:00:00.000000Z\n"
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_UUID_CHARS = b"0123456789abcdef-\n"
_DASHES = [8, 13, 18, 23]
_GROUPS = ((0, 8), (9, 13), (14, 18), (19, 23), (24, 36))
"""Column ranges of the hex digits of a canonical UUID (8-4-4-4-12)."""


def micros(values: list) -> np.ndarray:
    """Epoch microseconds of a batch of timestamps (text, None, or already-parsed ints).

    A batch of kube-apiserver's own micro times (all ``YYYY-MM-DDTHH:MM:SS.ffffffZ``) is
    parsed by numpy in one call; anything else (other zones and layouts, missing values) goes
    through :func:`parse_time` one by one.
    """
    rows = _micro_time_rows(values)
    if rows is not None:
        try:
            fixed = np.frombuffer(rows, dtype="S28").astype("S26")
            return fixed.astype("datetime64[us]").view(np.int64)
        except ValueError:  # a date or time out of range: parse_time says which
            pass
    try:
        return np.array([v if type(v) is int else parse_time(v) for v in values], dtype=np.int64)
    except OverflowError:
        return np.full(len(values), NO_TIME, dtype=np.int64)


def _micro_time_rows(values: list) -> bytes | None:
    """The batch as 28-byte rows (value + newline) if every value is laid out exactly like
    ``2026-11-26T10:00:00.123456Z``, else None.

    Checking the whole layout (digits where digits go, separators in place, newlines only
    between values) is what makes numpy's parse agree with :func:`parse_time` value by value:
    without it a batch of odd values could be misaligned, or numpy could read forms (a sign
    or spaces in the year, a short fraction, a zone offset, year 0) that ``parse_time``
    rejects or reads otherwise.
    """
    count = len(values)
    try:
        joined = "\n".join(values)
    except TypeError:  # None, or a time the tolerant path has already parsed
        return None
    if len(joined) != 28 * count - 1 or not joined.isascii():
        return None
    raw = joined.encode("ascii") + b"\n"
    if raw.translate(_DIGITS_TO_ZERO) != _MICRO_TIME_ROW * count:
        return None
    if raw.startswith(b"0000") or b"\n0000" in raw:
        return None  # year 0: numpy takes it, Python's datetime (and parse_time) does not
    return raw


def event_times(times: EventTimes[list | None]) -> tuple[np.ndarray, np.ndarray]:
    """The stage and received time columns of a batch, as :func:`timestamps.event_times` gives
    them per event.

    ``times`` holds each kind of time as a list with one value a row, or None when no row has
    it. Fallbacks are parsed only for the rows that still have no time.
    """
    count = len(times.stage)
    whole: dict[str, np.ndarray] = {}

    def parsed(field: str, rows: np.ndarray) -> np.ndarray:
        if field in whole or len(rows) == count:
            if field not in whole:
                whole[field] = micros(getattr(times, field))
            return whole[field][rows]
        values = getattr(times, field)
        return micros([values[row] for row in rows.tolist()])

    columns = []
    for order in (STAGE_ORDER, RECEIVED_ORDER):
        result = np.full(count, NO_TIME, dtype=np.int64)
        for field in order:
            if getattr(times, field) is None:
                continue
            missing = np.flatnonzero(result == NO_TIME)
            if not len(missing):
                break
            result[missing] = parsed(field, missing)
        columns.append(result)
    return columns[0], columns[1]


def audit_ids(ids: list[str], other_ids: InternTable[str]) -> tuple[np.ndarray, np.ndarray]:
    """Audit IDs as the ``id_hi`` and ``id_lo`` columns (see :func:`store.split_audit_id`).

    A batch of canonical lower-case UUIDs (what kube-apiserver writes) is converted in one go;
    otherwise every ID goes through ``split_audit_id``.
    """
    halves = _uuid_halves(ids)
    if halves is not None:
        return halves
    pairs = [split_audit_id(audit_id, other_ids) for audit_id in ids]
    return (
        np.array([p[0] for p in pairs], dtype=np.uint64),
        np.array([p[1] for p in pairs], dtype=np.uint64),
    )


def _uuid_halves(ids: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """The 64-bit halves of canonical UUIDs, or None unless every ID is one.

    Joined by newlines, canonical UUIDs form rows of 37 bytes: a newline in the last column
    proves every ID is 36 characters long, dashes in their four columns and hex digits in the
    rest (``unhexlify`` rejects anything else) prove the form.
    """
    count = len(ids)
    text = "\n".join(ids) + "\n"
    if len(text) != 37 * count or not text.isascii():
        return None
    raw = text.encode("ascii")
    if raw.translate(None, _UUID_CHARS):  # upper case, or characters no UUID has
        return None
    rows = np.frombuffer(raw, np.uint8).reshape(count, 37)
    if not ((rows[:, 36] == ord("\n")).all() and (rows[:, _DASHES] == ord("-")).all()):
        return None
    digits = np.concatenate([rows[:, start:end] for start, end in _GROUPS], axis=1)
    try:
        octets = binascii.unhexlify(digits.tobytes())
    except binascii.Error:
        return None
    halves = np.frombuffer(octets, ">u8").astype(np.uint64).reshape(count, 2)
    if (halves[:, 0] == np.uint64(OTHER_ID)).any():
        return None
    return halves[:, 0].copy(), halves[:, 1].copy()
