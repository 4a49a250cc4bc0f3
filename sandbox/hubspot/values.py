"""Property value formats: what HubSpot accepts on write and what it echoes back.

Every value is a string on the wire. Dates must be midnight UTC (`YYYY-MM-DD`
or epoch milliseconds at 00:00 UTC) and are echoed as `YYYY-MM-DD` (the real
echo format is unverified, api-facts B4). Datetimes accept epoch ms or ISO 8601
and are echoed as ISO 8601 UTC with milliseconds, as in the reference payloads.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from sandbox.hubspot.errors import PropertyIssue

_EPOCH_MS = re.compile(r"^-?\d{1,15}$")
_BOOLEANS = {"true", "false"}


def iso_millis(moment: datetime) -> str:
    """`2024-01-17T19:55:04.281Z`, the timestamp format HubSpot echoes."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_instant(raw: str) -> datetime | None:
    """Epoch ms or ISO 8601 (naive = UTC) as an aware datetime; None if neither."""
    text = raw.strip()
    if _EPOCH_MS.match(text):
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def epoch_millis(value: str) -> int | None:
    """A stored date/datetime value as epoch ms, for search comparisons."""
    if len(value) == 10 and value[4] == "-":
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return None
        return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    instant = parse_instant(value)
    return None if instant is None else int(instant.timestamp() * 1000)


def normalise_number(name: str, raw: str) -> str:
    """A number value, kept as sent once it parses as a finite decimal."""
    try:
        number = Decimal(raw.strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise PropertyIssue(name, "INVALID_INTEGER", f"{raw} was not a valid number")
    return raw.strip()


def normalise_date(name: str, raw: str) -> str:
    """A date value as `YYYY-MM-DD`; anything not at midnight UTC is refused."""
    text = raw.strip()
    if len(text) == 10 and text[4] == "-":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    instant = parse_instant(text)
    if instant is None:
        raise PropertyIssue(name, "INVALID_DATE", f"{raw} was not a valid date")
    utc = instant.astimezone(UTC)
    if (utc.hour, utc.minute, utc.second, utc.microsecond) != (0, 0, 0, 0):
        at = f"{utc.hour}:{utc.minute}:{utc.second}.{utc.microsecond // 1000}"
        raise PropertyIssue(name, "INVALID_DATE", f"{raw} is at {at} UTC, not midnight!")
    return utc.date().isoformat()


def normalise_datetime(name: str, raw: str) -> str:
    """A datetime value as ISO 8601 UTC with milliseconds."""
    instant = parse_instant(raw)
    if instant is None:
        raise PropertyIssue(name, "INVALID_DATE", f"{raw} was not a valid datetime")
    return iso_millis(instant)


def normalise_bool(name: str, raw: str) -> str:
    """A bool value as `true` / `false`."""
    text = raw.strip().lower()
    if text not in _BOOLEANS:
        raise PropertyIssue(name, "INVALID_BOOLEAN", f"{raw} was not a valid boolean")
    return text


def normalise_enumeration(name: str, raw: str, allowed: list[str], multiple: bool) -> str:
    """An enumeration value; each `;`-separated part must be an option when options exist."""
    if not allowed:
        return raw
    parts = raw.split(";") if multiple else [raw]
    for part in parts:
        if part not in allowed:
            message = f"{part} was not one of the allowed options: {allowed}"
            raise PropertyIssue(name, "INVALID_OPTION", message)
    return raw
