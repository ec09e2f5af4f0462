"""The citizen key of a landing relation: stored, or pseudonymised only where needed.

A landing table stores the pseudonym in ``citizen_key``: the phone number was turned
into its keyed HMAC at the door. A Parquet file scanned in place for a one-shot
``metrics`` run can do better. Pseudonymising every row costs two SHA-256 passes per
row (several seconds per million rows on a small machine), yet the counting needs
the key only to tell whether a citizen is present and to rank the few attempts of
citizens near the daily cap. So :func:`scamlens.jobs.engine.land` exposes such a file
as a *deferred* relation: the raw number in ``_raw_phone`` and ``citizen_id`` as
given, no ``citizen_key``. This module renders, for either kind of relation:

* ``present``: whether the record names a citizen (a digit in the phone, or a
  non-blank ``citizen_id``), without any hashing;
* ``value``: the exact key, ``HMAC(phone)`` else ``citizen_id``, the same text the
  landing door would have stored; selected only for the rows that need it;
* ``scan_standin``: a cheap stand-in for grouping, the normalised digits of the
  phone (or the ``citizen_id``). Equal keys have equal stand-ins, with one
  exception: a ``citizen_id`` may itself be the pseudonym of a phone number seen
  elsewhere in the file. So the rows keyed by ``citizen_id`` are marked (``kind``)
  and :mod:`scamlens.cleaning.candidates` treats them apart.

The raw number never leaves a query: nothing selects ``_raw_phone`` into a table, a
result or a log. What leaves is its pseudonym, booleans about it, and, for the
candidate search, a 64-bit hash of (stand-in, day, module) that stays in memory for
the length of the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from scamlens.cleaning.parse import Citizen, stored_citizen
from scamlens.errors import InternalError
from scamlens.privacy import normalise_phone_sql, pseudonym_sql

__all__ = ["KIND_ID", "KIND_PHONE", "RAW_PHONE", "CitizenKeys"]

RAW_PHONE = "_raw_phone"
KIND_PHONE = 4
KIND_ID = 8


@dataclass(frozen=True)
class CitizenKeys:
    """Citizen SQL for one relation; build it with :meth:`of`."""

    deferred: bool
    has_phone: bool = False
    has_citizen_id: bool = False
    key: bytes | None = field(default=None, repr=False)

    @classmethod
    def of(cls, types: Mapping[str, str], key: bytes | None) -> CitizenKeys:
        """Stored keys when the relation has ``citizen_key``, else deferred ones."""
        if "citizen_key" in types:
            return cls(deferred=False)
        has_phone = RAW_PHONE in types
        if has_phone and key is None:
            raise InternalError(
                "a relation with deferred pseudonyms needs the pseudonymisation key"
            )
        return cls(True, has_phone, "citizen_id" in types, key)

    @property
    def mixed(self) -> bool:
        """Deferred, with both phones and ``citizen_id``: a citizen may then appear
        both ways (see :mod:`scamlens.cleaning.candidates`, step 4)."""
        return self.deferred and self.has_phone and self.has_citizen_id

    @property
    def _id(self) -> str:
        return "NULLIF(trim(citizen_id), '')" if self.has_citizen_id else "NULL"

    @property
    def _phone_present(self) -> str:
        if not self.has_phone:
            return "false"
        return f"coalesce({RAW_PHONE} GLOB '*[0-9]*', false)"

    def present_sql(self) -> str:
        """True when the record names a citizen."""
        if not self.deferred:
            return stored_citizen().present
        return f"({self._phone_present} OR {self._id} IS NOT NULL)"

    def value_sql(self) -> str:
        """The exact citizen key (for a deferred relation, pseudonymises the phone)."""
        if not self.deferred:
            return stored_citizen().value
        if not self.has_phone:
            return f"({self._id})"
        assert self.key is not None
        hashed = pseudonym_sql(self.key, RAW_PHONE)
        return f"(CASE WHEN {self._phone_present} THEN {hashed} ELSE {self._id} END)"

    def citizen(self) -> Citizen:
        """Value and presence, as :func:`~scamlens.cleaning.parse.parsed_select`
        takes them."""
        return Citizen(self.value_sql(), self.present_sql())

    # The candidate scan evaluates the costly tests once per row, in an inner
    # projection (``scan_columns``), and the expressions below over those columns.
    # Eleven plain digits (a mobile number as most platforms write it) are already
    # normalised: no regular expression and no trimming for them. "Plain" is tested
    # by a round trip through an integer, about half the cost of an eleven-class
    # GLOB: the text of the number equals the input only for canonical digits (a
    # leading zero, sign, space, underscore or exponent all fail it, and those rows
    # simply take the normalising path).

    def scan_columns(self) -> list[str]:
        """Per-row helper columns for the ``scan_*`` expressions (first level)."""
        if not self.deferred:
            return [f"{stored_citizen().value} AS _citizen"]
        cid = "citizen_id" if self.has_citizen_id else "NULL"
        columns = [f"{cid} AS _cid_raw"]
        if self.has_phone:
            plain = (
                f"strlen({RAW_PHONE}) = 11 AND CAST(TRY_CAST({RAW_PHONE} AS UBIGINT) "
                f"AS VARCHAR) = {RAW_PHONE}"
            )
            columns += [
                f"coalesce({plain}, false) AS _p_plain",
                f"{RAW_PHONE} AS _p",
            ]
        return columns

    def scan_prepare(self) -> list[str]:
        """Second-level helper columns: whether the phone has a digit, and the
        ``citizen_id`` of the records keyed by it (NULL for the others)."""
        if not self.deferred:
            return ["_citizen"]
        has = (
            "CASE WHEN _p_plain THEN true ELSE coalesce(_p GLOB '*[0-9]*', false) END"
            if self.has_phone
            else "false"
        )
        phone = ["_p_plain", "_p"] if self.has_phone else []
        return [
            *phone,
            f"{has} AS _p_has",
            f"CASE WHEN NOT ({has}) THEN NULLIF(trim(_cid_raw), '') END AS _cid",
        ]

    def scan_present(self) -> str:
        """Presence, over the helper columns."""
        if not self.deferred:
            return "(_citizen IS NOT NULL)"
        return "(_p_has OR _cid IS NOT NULL)"

    def scan_standin(self) -> str:
        """A value to hash for grouping by citizen (see the module docstring)."""
        if not self.deferred:
            return "_citizen"
        if not self.has_phone:
            return "_cid"
        return (
            f"(CASE WHEN _p_plain THEN _p WHEN _p_has THEN {normalise_phone_sql('_p')} "
            "ELSE _cid END)"
        )

    def scan_kind(self) -> str:
        """:data:`KIND_PHONE` for a record keyed by phone, :data:`KIND_ID` for one
        keyed by ``citizen_id`` alone, else 0 (and 0 for stored keys)."""
        if not self.deferred:
            return "0"
        return (
            f"(CASE WHEN _p_has THEN {KIND_PHONE} WHEN _cid IS NOT NULL THEN {KIND_ID} "
            "ELSE 0 END)"
        )
