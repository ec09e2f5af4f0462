"""Integer keys for segment-windows, so matching them is a numpy lookup, not a join.

Baselines and trailing windows match each window under test with earlier windows of
the same segment at given starts. Arrow's hash join on string keys costs over 100 ms
for a few hundred thousand rows; encoding (segment, grain, start) as one int64 over a
shared dictionary and looking keys up in a sorted array costs a few milliseconds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Encoder", "compose", "lookup"]

logger = logging.getLogger(__name__)

_LIMIT = 2**62


class Encoder:
    """Codes for segments, grains and window starts shared by several tables.

    Built from every table whose keys must be comparable; :meth:`segment` gives a
    code per segment (its dimension values) and :meth:`grain` per grain, for each
    row of each table; :func:`compose` turns them and starts into one key.
    """

    def __init__(self, tables: Sequence[pa.Table], dims: Sequence[str]) -> None:
        self.dims = list(dims)
        self._sizes = [t.num_rows for t in tables]
        self._offsets = np.concatenate([[0], np.cumsum(self._sizes)])
        parts = []
        for d in self.dims:
            column = pa.chunked_array(
                [c for t in tables for c in t.column(d).chunks], type=pa.string()
            )
            encoded = pc.dictionary_encode(column).combine_chunks()
            parts.append(encoded.indices.to_numpy(zero_copy_only=False))
        grains = pa.chunked_array(
            [c for t in tables for c in t.column("grain").chunks], type=pa.string()
        )
        grain_codes = pc.dictionary_encode(grains).combine_chunks()
        self._grain_values = grain_codes.dictionary.to_pylist()
        self._grains = grain_codes.indices.to_numpy(zero_copy_only=False)
        self._segments = self._combine(parts, total=int(self._offsets[-1]))

    @staticmethod
    def _combine(parts: list[np.ndarray], total: int) -> np.ndarray:
        if not parts:
            return np.zeros(total, dtype=np.int64)
        sizes = [int(p.max()) + 1 if p.size else 1 for p in parts]
        if float(np.prod(np.array(sizes, dtype=np.float64))) < _LIMIT:
            code = np.zeros(total, dtype=np.int64)
            for part, size in zip(parts, sizes, strict=True):
                code = code * size + part.astype(np.int64)
            return code
        stacked = np.stack([p.astype(np.int64) for p in parts], axis=1)
        return np.unique(stacked, axis=0, return_inverse=True)[1].astype(np.int64)

    def segment(self, table: int) -> np.ndarray:
        """Segment code of each row of table number ``table``."""
        lo, hi = self._offsets[table], self._offsets[table + 1]
        return self._segments[lo:hi]

    def grain(self, table: int) -> np.ndarray:
        """Grain code of each row of table number ``table``."""
        lo, hi = self._offsets[table], self._offsets[table + 1]
        return self._grains[lo:hi].astype(np.int64)

    def grain_code(self, grain: str) -> int:
        """The code of ``grain`` (-1 when no table holds it)."""
        return self._grain_values.index(grain) if grain in self._grain_values else -1


Triple = tuple[np.ndarray, np.ndarray, np.ndarray]


def compose(*triples: Triple) -> list[np.ndarray]:
    """One int64 key per (segment, grain, start) row of each triple of arrays.

    Equal tuples get equal keys across all the triples given together. Starts are
    ranked over all of them first, so the composition cannot overflow; if the
    segment, grain and start ranges would still exceed 62 bits, the rows are
    numbered by ``np.unique`` instead.
    """
    starts = np.concatenate([t[2] for t in triples]).astype(np.int64)
    uniq, rank = np.unique(starts, return_inverse=True)
    segments = np.concatenate([t[0] for t in triples]).astype(np.int64)
    grains = np.concatenate([t[1] for t in triples]).astype(np.int64)
    n_seg = int(segments.max()) + 1 if segments.size else 1
    n_grain = int(grains.max()) + 1 if grains.size else 1
    if float(n_seg) * n_grain * max(uniq.size, 1) < _LIMIT:
        keys = (segments * n_grain + grains) * max(uniq.size, 1) + rank
    else:
        stacked = np.stack([segments, grains, rank.astype(np.int64)], axis=1)
        keys = np.unique(stacked, axis=0, return_inverse=True)[1].astype(np.int64)
    bounds = np.cumsum([0] + [t[2].size for t in triples])
    return [keys[bounds[i] : bounds[i + 1]] for i in range(len(triples))]


def lookup(needles: np.ndarray, haystack: np.ndarray) -> np.ndarray:
    """Index in ``haystack`` of each needle, or -1 where it is absent."""
    if haystack.size == 0 or needles.size == 0:
        return np.full(needles.shape, -1, dtype=np.int64)
    order = np.argsort(haystack, kind="stable")
    ranked = haystack[order]
    at = np.searchsorted(ranked, needles)
    at = np.minimum(at, ranked.size - 1)
    hit = ranked[at] == needles
    return np.where(hit, order[at], -1).astype(np.int64)
