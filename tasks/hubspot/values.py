"""HubSpot property values: every value is a string on the wire; we compare typed values, never strings.

`serialize_properties` is the one way typed values become wire strings (api-facts B4): money as a plain
two-decimal string, a date as `YYYY-MM-DD` (HubSpot reads it as midnight UTC), `None` as `""`, which clears
the value. The `parse_*` helpers accept every form HubSpot may echo back, so a drift check never flags
`"1234.5"` against `"1234.50"` or `"2026-11-20"` against `"1795132800000"`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PropertyValue = str | int | bool | Decimal | date | datetime | None

_CENTS = Decimal("0.01")


def serialize_value(value: PropertyValue) -> str:
    """Turn one typed value into the string HubSpot expects.

    Args:
        value: A `Decimal` (money, written with two decimals), a `date` (midnight UTC), an aware `datetime`
            (ISO 8601 UTC with milliseconds), an `int`, a `bool`, a `str` (sent as is) or `None` (clears).

    Returns:
        The wire string.

    Raises:
        TypeError: For floats (money is never float) and unsupported types.
        ValueError: For non-finite decimals and naive datetimes.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    # bool before int: True is an int, but HubSpot wants "true".
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _serialize_decimal(value)
    # datetime before date: a datetime is a date too.
    if isinstance(value, datetime):
        return _serialize_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot send a {type(value).__name__} to HubSpot: {value!r}")


def serialize_properties(values: Mapping[str, PropertyValue]) -> dict[str, str]:
    """Serialise a whole property map with `serialize_value`; see there for the rules."""
    return {name: serialize_value(value) for name, value in values.items()}


def _serialize_decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"cannot send a non-finite amount to HubSpot: {value}")
    rounded = value.quantize(_CENTS, rounding=ROUND_HALF_UP)
    # "f" never uses an exponent; adding 0 turns -0.00 into 0.00.
    return format(rounded + 0, "f")


def _serialize_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"a naive datetime is ambiguous; pass an aware one: {value!r}")
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _blank(raw: str | None) -> bool:
    return raw is None or not raw.strip()


def parse_decimal(raw: str | None) -> Decimal | None:
    """Read a number property as `Decimal` (`None` when empty), whatever its scale or notation."""
    if raw is None or _blank(raw):
        return None
    try:
        value = Decimal(raw.strip())
    except InvalidOperation as ex:
        raise ValueError(f"not a number: {raw!r}") from ex
    if not value.is_finite():
        raise ValueError(f"not a finite number: {raw!r}")
    return value


def parse_int(raw: str | None) -> int | None:
    """Read an integer property (`"17"`, and `"17.0"` as number properties may echo it); `None` when empty."""
    value = parse_decimal(raw)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise ValueError(f"not a whole number: {raw!r}")
    return int(value)


def parse_bool(raw: str | None) -> bool | None:
    """Read a boolean property (`"true"` / `"false"`, any case); `None` when empty."""
    if raw is None or _blank(raw):
        return None
    lowered = raw.strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"not a boolean: {raw!r}")
    return lowered == "true"


def parse_datetime(raw: str | None) -> datetime | None:
    """Read a datetime property: ISO 8601 (`Z` or an offset) or epoch milliseconds; aware UTC or `None`."""
    if raw is None or _blank(raw):
        return None
    return _parse_timestamp(raw.strip())


def _parse_timestamp(text: str) -> datetime:
    if text.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as ex:
        raise ValueError(f"not a datetime: {text!r}") from ex
    if parsed.tzinfo is None:
        # HubSpot sends UTC; a bare timestamp is read the same way.
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_date(raw: str | None) -> date | None:
    """Read a date property: `YYYY-MM-DD`, epoch ms or an ISO datetime, all at midnight UTC; `None` if empty.

    Raises:
        ValueError: When a timestamp is not at midnight UTC: a date property never holds one, so the value
            came from somewhere else and must not be compared as a date.
    """
    if raw is None or _blank(raw):
        return None
    text = raw.strip()
    if len(text) == 10 and text[4] == "-":
        return date.fromisoformat(text)
    moment = _parse_timestamp(text)
    if moment.time() != time(0):
        raise ValueError(f"a date property must be midnight UTC, got {raw!r}")
    return moment.date()
