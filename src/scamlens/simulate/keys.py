"""Counter-based randomness and collision-free identities for simulated citizens.

A citizen is a 64-bit index. Everything about them (phone number, pseudonym, age,
region) is a pure function of the seed and that index, so a citizen who comes back
on another day looks the same without the generator keeping any state.

Phone numbers come from a keyed Feistel permutation with cycle walking over the
``1[3-9]xxxxxxxxx`` space, and pseudonyms from the (invertible) SplitMix64 finaliser:
two different citizens can therefore never share a phone or a ``citizen_id``. The
exact expected ``runaway_dialing`` counts rely on that.
"""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa

__all__ = [
    "PHONE_SPACE",
    "citizen_hex",
    "fixed_strings",
    "hash_uniform",
    "mix64",
    "phone_numbers",
    "stochastic_round",
]

logger = logging.getLogger(__name__)

PHONE_SPACE = 7_000_000_000
"""How many numbers ``1[3-9]xxxxxxxxx`` spans."""
_PHONE_BASE = 13_000_000_000
_HALF_BITS = 17
_HALF_MASK = np.uint64((1 << _HALF_BITS) - 1)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# Two ASCII hex digits per byte value, laid out so a uint16 view reads "hi lo".
_HEX_PAIRS = _HEX[np.arange(256) >> 4].astype(np.uint16) | (
    _HEX[np.arange(256) & 15].astype(np.uint16) << 8
)


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijection on uint64 that scrambles every bit."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hash_uniform(seed: int, index: np.ndarray, stream: int) -> np.ndarray:
    """Uniform floats in [0, 1) that depend only on ``(seed, index, stream)``."""
    key = np.uint64((seed * 0x100000001B3 + stream * 0x9E3779B1) & 0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        bits = mix64(mix64(index.astype(np.uint64) ^ key) + np.uint64(stream))
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def _feistel(x: np.ndarray, keys: np.ndarray) -> np.ndarray:
    left = x >> np.uint64(_HALF_BITS)
    right = x & _HALF_MASK
    for key in keys:
        left, right = right, left ^ (mix64(right ^ key) & _HALF_MASK)
    return (left << np.uint64(_HALF_BITS)) | right


def phone_numbers(seed: int, citizens: np.ndarray) -> np.ndarray:
    """Distinct 11-digit mobile numbers (int64) for distinct citizen indices.

    ``citizens`` must lie in ``[0, PHONE_SPACE)``. Cycle walking keeps the Feistel
    permutation of the 34-bit space inside the phone space, so the map stays
    injective.
    """
    keys = mix64(np.arange(4, dtype=np.uint64) + np.uint64(seed * 7919 + 1))
    y = _feistel(citizens.astype(np.uint64), keys)
    outside = y >= np.uint64(PHONE_SPACE)
    while outside.any():
        y[outside] = _feistel(y[outside], keys)
        outside = y >= np.uint64(PHONE_SPACE)
    return y.astype(np.int64) + _PHONE_BASE


def citizen_hex(seed: int, citizens: np.ndarray) -> pa.Array:
    """32-hex-digit pseudonyms, distinct for distinct citizens.

    The first 16 digits alone are injective: SplitMix64's finaliser is a bijection.
    """
    key = np.uint64((seed * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF)
    high = mix64(citizens.astype(np.uint64) ^ key)
    low = mix64(high ^ np.uint64(0xD1B54A32D192ED03))
    pairs = np.empty((len(citizens), 16), dtype=np.uint16)
    for half, word in enumerate((high, low)):
        octets = word.astype(">u8").view(np.uint8).reshape(-1, 8)
        pairs[:, half * 8 : half * 8 + 8] = _HEX_PAIRS[octets]
    return fixed_strings(pairs.view(np.uint8))


def fixed_strings(chars: np.ndarray) -> pa.StringArray:
    """A string array from an ``(n, width)`` uint8 matrix of ASCII characters."""
    n, width = chars.shape
    offsets = np.arange(0, n * width + 1, width, dtype=np.int32)
    data = np.ascontiguousarray(chars)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def stochastic_round(rng: np.random.Generator, value: float) -> int:
    """``value`` rounded down or up at random so that the mean is ``value``."""
    whole = int(np.floor(value))
    return whole + int(rng.random() < value - whole)
