"""Frame construction: orders from OrderRecord-shaped objects, contacts parsed from HubSpot wire strings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
from polars.testing import assert_frame_equal

from tasks.rules.config import MappingConfig, PropertiesConfig
from tasks.rules.frames import CONTACTS_SCHEMA, ORDERS_SCHEMA, contacts_frame, orders_frame
from tasks.shopify.models import OrderRecord
from tests.tasks.order_stubs import StubOrder

BIG_ID = 2**53 + 1  # not representable as a float: proves no float round trip
PAID_AT = datetime(2026, 3, 1, 14, 55, 4, 281_000, tzinfo=UTC)


@dataclass(frozen=True)
class WireContact:
    id: str
    properties: dict[str, str | None] = field(default_factory=dict)


def test_orders_frame_mirrors_order_record_field_for_field():
    """ORDERS_SCHEMA has exactly OrderRecord's fields, and a real record converts without loss."""
    assert list(ORDERS_SCHEMA) == list(OrderRecord.model_fields)
    record = OrderRecord(**dataclasses.asdict(StubOrder(order_id=BIG_ID, customer_id=BIG_ID + 2)))
    frame = orders_frame([record])
    assert frame.schema == ORDERS_SCHEMA
    assert frame.select("order_id", "customer_id", "current_total").row(0) == (
        BIG_ID,
        BIG_ID + 2,
        Decimal("50.00"),
    )


def test_empty_orders_frame_is_typed():
    """No records still give a frame with the full schema, so downstream joins keep their dtypes."""
    assert orders_frame([]).schema == ORDERS_SCHEMA


def test_contacts_frame_parses_wire_strings_into_typed_values():
    """Numbers become Decimals ("10.5" = 10.50), dates parse from YYYY-MM-DD, ISO or epoch ms, datetimes from
    ISO (Z or an offset) or epoch ms to the millisecond, "" is null."""
    contacts = [
        WireContact(
            "101",
            {
                "shopify_customer_id": str(BIG_ID),
                "email": " Ada@Example.COM ",
                "hs_additional_emails": "a@x.com; B@Y.com;",
                "shopify_total_spent": "10.5",
                "shopify_order_count": "3",
                "shopify_first_order_date": "2026-01-02",
                "shopify_last_order_date": "1772323200000",
                "shopify_last_order_number": "#1003",
                "shopify_last_order_paid_at": "2026-03-01T14:55:04.281Z",
                "shopify_currency": "USD",
            },
        ),
        WireContact(
            "102",
            {
                "shopify_customer_id": "",
                "shopify_last_order_date": "2026-03-01T00:00:00.000Z",
                "shopify_last_order_paid_at": "1772376904281",
            },
        ),
        WireContact("103", {"shopify_last_order_paid_at": "2026-03-01T09:55:04-05:00"}),
    ]
    result = contacts_frame(contacts, PropertiesConfig())
    expected = pl.DataFrame(
        [
            ("101", BIG_ID, "ada@example.com", Decimal("10.50"), 3, date(2026, 1, 2), date(2026, 3, 1),
             "#1003", PAID_AT, "USD", ["a@x.com", "b@y.com"]),
            ("102", None, None, None, None, None, date(2026, 3, 1), None, PAID_AT, None, []),
            ("103", None, None, None, None, None, None, None, PAID_AT.replace(microsecond=0), None, []),
        ],
        schema=CONTACTS_SCHEMA,
        orient="row",
    )  # fmt: skip
    assert_frame_equal(result, expected)


def test_contacts_frame_reads_renamed_and_mapped_properties():
    """Configured property names are read, and each mapping adds a typed column named by its property."""
    contacts = [WireContact("7", {"spent": "12", "last_source": "pos"})]
    properties = PropertiesConfig(total_spent="spent")
    mappings = (MappingConfig(source="order.source_name", property="last_source"),)
    result = contacts_frame(contacts, properties, mappings)
    assert result.select("total_spent", "last_source").row(0) == (Decimal("12.00"), "pos")
    assert contacts_frame([], properties).schema == CONTACTS_SCHEMA
