"""The oracle: expected HubSpot values per customer, computed from hand-built REST orders."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sandbox.expected import ExpectedCustomer, expected_customers, is_qualifying
from sandbox.seed import generate_store

ALICE = 2**60 + 1
BOB = 2**60 + 2


def _order(
    name: str,
    processed_at: str,
    customer_id: int | None = ALICE,
    current: str = "100.00",
    total: str | None = None,
    status: str = "paid",
    **extra: Any,
) -> dict[str, Any]:
    customer = (
        {"id": customer_id, "email": extra.pop("customer_email", "Alice@Example.com ")}
        if customer_id
        else None
    )

    def money(amount: str) -> dict[str, Any]:
        return {
            "shop_money": {"amount": amount, "currency_code": "USD"},
            "presentment_money": {"amount": str(Decimal(amount) * 2), "currency_code": "EUR"},
        }

    order = {
        "name": name,
        "processed_at": processed_at,
        "customer": customer,
        "email": "",
        "contact_email": None,
        "financial_status": status,
        "cancelled_at": None,
        "test": False,
        "total_price": total or current,
        "total_price_set": money(total or current),
        "current_total_price": current,
        "current_total_price_set": money(current),
    }
    order.update(extra)
    return order


def test_sums_net_shop_money_of_qualifying_orders():
    """Refunds lower the total (current_total_price, shop money); count and dates cover qualifying orders."""
    orders = [
        _order(
            "#1001", "2026-01-05T10:00:00-05:00", current="40.10", total="60.10", status="partially_refunded"
        ),
        _order("#1002", "2026-02-05T10:00:00-05:00", current="19.95"),
    ]
    result = expected_customers(orders)[ALICE]
    assert result == ExpectedCustomer(
        customer_id=ALICE,
        email="alice@example.com",
        total_spent=Decimal("60.05"),
        order_count=2,
        first_order_date=date(2026, 1, 5),
        last_order_date=date(2026, 2, 5),
        last_order_number="#1002",
        last_order_at=datetime.fromisoformat("2026-02-05T10:00:00-05:00"),
        currency="USD",
    )


def test_skips_cancelled_test_refunded_and_unpaid_orders():
    """Cancelled, test, fully refunded, pending, authorized and voided orders add nothing."""
    orders = [
        _order("#1001", "2026-01-01T10:00:00-05:00", current="10.00"),
        _order("#1002", "2026-01-02T10:00:00-05:00", cancelled_at="2026-01-03T10:00:00-05:00"),
        _order("#1003", "2026-01-03T10:00:00-05:00", test=True),
        _order("#1004", "2026-01-04T10:00:00-05:00", current="0.00", status="refunded"),
        _order("#1005", "2026-01-05T10:00:00-05:00", status="pending"),
        _order("#1006", "2026-01-06T10:00:00-05:00", status="authorized"),
        _order("#1007", "2026-01-07T10:00:00-05:00", status="voided"),
    ]
    result = expected_customers(orders)[ALICE]
    assert (result.total_spent, result.order_count, result.last_order_number) == (
        Decimal("10.00"),
        1,
        "#1001",
    )
    assert [is_qualifying(o) for o in orders] == [True] + [False] * 6


def test_customer_without_qualifying_orders_gets_zero_and_no_dates():
    """A customer whose only order was cancelled is still listed, with 0 / 0 / None."""
    orders = [_order("#1001", "2026-01-01T10:00:00-05:00", cancelled_at="2026-01-02T10:00:00-05:00")]
    result = expected_customers(orders)[ALICE]
    assert (result.total_spent, result.order_count) == (Decimal("0.00"), 0)
    assert result.first_order_date is None and result.last_order_date is None
    assert result.last_order_number is None


def test_order_dates_are_shop_local_even_near_midnight():
    """23:30 at -05:00 is the next day in UTC, but the order date stays the shop's calendar date."""
    orders = [_order("#1001", "2026-11-20T23:30:00-05:00")]
    result = expected_customers(orders)[ALICE]
    assert result.last_order_date == date(2026, 11, 20)
    assert datetime.fromisoformat(orders[0]["processed_at"]).astimezone(UTC).date() == date(2026, 11, 21)


def test_latest_order_is_decided_by_instant_not_by_string():
    """On the DST fall-back night 01:10-05:00 comes after 01:30-04:00, so it is the last order."""
    orders = [
        _order("#1002", "2026-11-01T01:10:00-05:00"),
        _order("#1001", "2026-11-01T01:30:00-04:00"),
    ]
    assert expected_customers(orders)[ALICE].last_order_number == "#1002"


def test_unattributed_orders_are_skipped_and_customers_kept_apart():
    """Orders without a customer count for nobody; each customer gets their own totals."""
    orders = [
        _order("#1001", "2026-01-01T10:00:00-05:00", customer_id=None, email="guest@example.net"),
        _order("#1002", "2026-01-02T10:00:00-05:00", customer_id=BOB, current="5.00", customer_email=None),
        _order("#1003", "2026-01-03T10:00:00-05:00", current="7.00"),
    ]
    result = expected_customers(orders)
    assert set(result) == {ALICE, BOB}
    assert (result[BOB].total_spent, result[ALICE].total_spent) == (Decimal("5.00"), Decimal("7.00"))


def test_email_falls_back_to_order_email_and_is_normalised():
    """Without a customer email the order's email, then contact_email, is used; blank means None."""
    orders = [
        _order("#1001", "2026-01-01T10:00:00-05:00", customer_email=None, email=" Bob@Example.NET"),
        _order("#1002", "2026-01-02T10:00:00-05:00", customer_id=BOB, customer_email="", contact_email=" "),
    ]
    result = expected_customers(orders)
    assert result[ALICE].email == "bob@example.net"
    assert result[BOB].email is None


def test_seeded_midnight_customer_keeps_the_shop_local_last_date():
    """On the default seed, the customer of the 23:30 order has that shop-local date as last order date."""
    store = generate_store()
    late = [o for o in store.orders if o["processed_at"].endswith("T23:30:00-05:00") and o["customer"]]
    assert late
    order = late[-1]
    expected = expected_customers(store.orders)[order["customer"]["id"]]
    assert expected.last_order_number == order["name"]
    assert expected.last_order_date == datetime.fromisoformat(order["processed_at"]).date()
