"""The generator's working table: typed numpy columns plus hidden labels.

Rows are built, corrupted and versioned as plain numpy arrays, which keeps every step
vectorised; only the last step renders them to Arrow (typed or as export text, see
:mod:`.render`). Besides the record values a frame carries the generator's own
knowledge about each row (its fate in cleaning, the defect planted on it, the write
time that decides the output order). Those hidden columns feed the ground truth and
never reach an output file.

Conventions: enum-like columns hold small integer codes, ``-1`` meaning empty; codes
past the valid vocabulary index deliberately invalid spellings. Floats use NaN for
empty. Timestamps are UTC epoch seconds with a separate ``*_null`` mask, so the
intended time survives when a defect blanks the written value.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np

__all__ = [
    "COUNTED",
    "Frame",
    "QUARANTINED",
    "REASONS",
    "SUPERSEDED",
    "TAG_NORMAL",
    "TAG_PREDECESSOR",
    "TAG_RUNAWAY",
    "TAG_SPIKE",
]

logger = logging.getLogger(__name__)

COUNTED, SUPERSEDED, QUARANTINED = 0, 1, 2
REASONS: tuple[str, ...] = (
    "missing_required",
    "bad_value",
    "future_time",
    "negative_duration",
    "outcome_without_connection",
    "duration_outlier",
    "runaway_dialing",
)
"""Quarantine reasons in the order the cleaning rules check them."""

TAG_NORMAL, TAG_RUNAWAY, TAG_SPIKE, TAG_PREDECESSOR = 0, 1, 2, 3

# name -> (dtype, empty value)
_SCHEMA: dict[str, tuple[str, object]] = {
    "seq": ("i8", 0),
    "id_null": ("?", False),
    "lead": ("i8", -1),
    "citizen": ("i8", 0),
    "contact": ("i1", 0),
    "channel": ("i1", -1),
    "module": ("i1", -1),
    "fraud": ("i1", -1),
    "gender": ("i1", -1),
    "region": ("i2", -1),
    "age": ("f8", np.nan),
    "initiated": ("i8", 0),
    "init_null": ("?", False),
    "connected": ("i1", -1),
    "talk": ("f8", np.nan),
    "content": ("f8", np.nan),
    "played": ("f8", np.nan),
    "fully": ("i1", -1),
    "confirmed": ("i1", -1),
    "reported": ("i1", -1),
    "transcript": ("i4", -1),
    "updated": ("i8", 0),
    "upd_null": ("?", False),
    # hidden
    "write": ("i8", 0),
    "order": ("i8", 0),
    "status": ("i1", COUNTED),
    "reason": ("i1", -1),
    "defect": ("i2", -1),
    "override_col": ("i1", -1),
    "override_val": ("i2", -1),
    "true_confirmed": ("?", False),
    "true_reported": ("?", False),
    "p_connect": ("f8", np.nan),
    "tag": ("i1", TAG_NORMAL),
    "version_kind": ("i1", -1),
}

COLUMNS: tuple[str, ...] = tuple(_SCHEMA)


class Frame:
    """A dict of equal-length numpy columns with the generator's schema."""

    __slots__ = ("cols",)

    def __init__(self, cols: dict[str, np.ndarray]) -> None:
        self.cols = cols

    @classmethod
    def empty(cls, n: int) -> Frame:
        """``n`` rows with every column at its empty value."""
        return cls(
            {name: np.full(n, fill, dtype=dt) for name, (dt, fill) in _SCHEMA.items()}
        )

    def __len__(self) -> int:
        return len(self.cols["seq"])

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        self.cols[name] = np.asarray(values, dtype=_SCHEMA[name][0])

    def take(self, index: np.ndarray) -> Frame:
        """Rows at ``index`` (positions or a boolean mask), as a new frame."""
        return Frame({name: col[index] for name, col in self.cols.items()})

    @classmethod
    def concat(cls, frames: Iterable[Frame]) -> Frame:
        """Stack frames row-wise."""
        parts = [f for f in frames if len(f)]
        if not parts:
            return cls.empty(0)
        return cls(
            {name: np.concatenate([f.cols[name] for f in parts]) for name in _SCHEMA}
        )
