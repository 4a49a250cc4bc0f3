"""Typed HubSpot property values: one serialiser out, tolerant parsers back in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks.hubspot.models import (
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
    serialize_properties,
)


def test_purchase_properties_serialise_to_hubspot_strings() -> None:
    """Money keeps two decimals, dates are YYYY-MM-DD, counts are digits and None clears."""
    wire = serialize_properties(
        {
            "shopify_total_spent": Decimal("1234.50"),
            "shopify_last_order_date": date(2026, 11, 20),
            "shopify_orders_count": 17,
            "shopify_customer_id": "7390123456789012345",
            "shopify_accepts_marketing": True,
            "shopify_first_order_date": None,
        }
    )
    assert wire == {
        "shopify_total_spent": "1234.50",
        "shopify_last_order_date": "2026-11-20",
        "shopify_orders_count": "17",
        "shopify_customer_id": "7390123456789012345",
        "shopify_accepts_marketing": "true",
        "shopify_first_order_date": "",
    }


@pytest.mark.parametrize(
    ("amount", "wire"),
    [
        (Decimal("1E+3"), "1000.00"),
        (Decimal("1234.5"), "1234.50"),
        (Decimal("0.005"), "0.01"),
        (Decimal("-0.00"), "0.00"),
        (Decimal("12345678901234.99"), "12345678901234.99"),
    ],
)
def test_decimals_never_use_an_exponent(amount: Decimal, wire: str) -> None:
    """A Decimal is written as a plain two-decimal string, whatever its internal exponent."""
    assert serialize_properties({"amount": amount}) == {"amount": wire}


def test_aware_datetimes_are_sent_as_utc_iso() -> None:
    """A datetime property value goes out as ISO 8601 UTC with milliseconds."""
    at = datetime(2026, 11, 20, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert serialize_properties({"at": at}) == {"at": "2026-11-20T14:30:00.000Z"}


@pytest.mark.parametrize("value", [12.5, datetime(2026, 11, 20), Decimal("NaN")])
def test_refuses_values_that_would_be_ambiguous(value: object) -> None:
    """Floats (money is never float), naive datetimes and NaN are refused, not guessed."""
    with pytest.raises((TypeError, ValueError)):
        serialize_properties({"value": value})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-20",
        "1795132800000",
        "2026-11-20T00:00:00Z",
        "2026-11-20T00:00:00.000Z",
        "2026-11-20T00:00:00+00:00",
    ],
)
def test_parse_date_accepts_every_midnight_utc_form(raw: str) -> None:
    """Whichever form HubSpot echoes a date in, it compares equal to the date we wrote."""
    assert parse_date(raw) == date(2026, 11, 20)


def test_parse_date_refuses_a_time_that_is_not_midnight_utc() -> None:
    """A shop-local timestamp in a date property is an error, not a silently shifted date."""
    with pytest.raises(ValueError, match="midnight UTC"):
        parse_date("2026-11-20T05:00:00Z")


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_empty_values_parse_as_none(raw: str | None) -> None:
    """An empty or null property reads as "no value" for every type."""
    assert parse_date(raw) is None
    assert parse_decimal(raw) is None
    assert parse_int(raw) is None
    assert parse_bool(raw) is None
    assert parse_datetime(raw) is None


def test_numbers_compare_as_numbers() -> None:
    """HubSpot's "1234.5" equals our Decimal("1234.50"), and "17.0" reads as 17."""
    assert parse_decimal("1234.5") == Decimal("1234.50")
    assert parse_int("17.0") == 17
    with pytest.raises(ValueError):
        parse_int("17.5")
    with pytest.raises(ValueError):
        parse_decimal("twelve")


def test_datetimes_parse_to_aware_utc() -> None:
    """Epoch milliseconds and ISO strings both read as the same aware UTC instant."""
    expected = datetime(2024, 1, 17, 19, 55, 4, 281000, tzinfo=UTC)
    assert parse_datetime("2024-01-17T19:55:04.281Z") == expected
    assert parse_datetime("1705521304281") == expected
    assert parse_bool("TRUE") is True


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2))
def test_money_round_trips(amount: Decimal) -> None:
    """Any two-decimal amount survives serialise → parse unchanged."""
    assert parse_decimal(serialize_properties({"a": amount})["a"]) == amount


@given(st.dates(min_value=date(1970, 1, 1), max_value=date(2100, 12, 31)))
def test_dates_round_trip(day: date) -> None:
    """Any date survives serialise → parse, and so does its epoch-ms echo."""
    assert parse_date(serialize_properties({"d": day})["d"]) == day
    epoch_ms = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    assert parse_date(str(epoch_ms)) == day
