"""Who holds each email and unique value, so conflict checks need not scan every contact."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Claim = tuple[str, str]


def claims_of(values: Mapping[str, str | None], unique_names: Iterable[str]) -> set[Claim]:
    """The emails (primary and additional, lowercased) and unique values a record holds."""
    claims: set[Claim] = set()
    primary = (values.get("email") or "").strip().lower()
    if primary:
        claims.add(("email", primary))
    for extra in (values.get("hs_additional_emails") or "").lower().split(";"):
        if extra.strip():
            claims.add(("additional", extra.strip()))
    for name in unique_names:
        value = values.get(name)
        if value:
            claims.add((f"unique:{name}", value))
    return claims


def colliding(claim: Claim) -> list[Claim]:
    """Claims that conflict with `claim`: any email collides with primary and additional ones."""
    kind, value = claim
    if kind in ("email", "additional"):
        return [("email", value), ("additional", value)]
    return [claim]


class ValueOwners:
    """A map from claim to the live record holding it."""

    def __init__(self) -> None:
        self._owner: dict[Claim, str] = {}
        self._held: dict[str, set[Claim]] = {}

    def hold(self, record_id: str, claims: set[Claim]) -> None:
        """`record_id` now holds exactly `claims`."""
        self.drop(record_id)
        self._held[record_id] = claims
        for claim in claims:
            self._owner[claim] = record_id

    def drop(self, record_id: str) -> None:
        """`record_id` holds nothing any more (archived or merged away)."""
        for claim in self._held.pop(record_id, set()):
            if self._owner.get(claim) == record_id:
                del self._owner[claim]

    def owner(self, claim: Claim) -> str | None:
        """The record holding `claim`, if any."""
        return self._owner.get(claim)

    def conflict(self, claims: set[Claim], exclude: str | None) -> str | None:
        """The first other record holding any value that collides with `claims`."""
        for claim in sorted(claims):
            for other in colliding(claim):
                holder = self._owner.get(other)
                if holder is not None and holder != exclude:
                    return holder
        return None
