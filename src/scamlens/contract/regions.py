"""Administrative region codes (GB/T 2260) and their roll-ups."""

from __future__ import annotations

__all__ = ["city_of", "province_of"]


def city_of(region_code: str) -> str:
    """Return the city-level code: the first four digits and ``00``."""
    return region_code[:4] + "00"


def province_of(region_code: str) -> str:
    """Return the province-level code: the first two digits and ``0000``."""
    return region_code[:2] + "0000"
