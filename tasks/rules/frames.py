"""The Polars schemas reconciliation works on, and the two constructors that fill them.

`ORDERS_SCHEMA` mirrors `tasks.shopify.models.OrderRecord` one column per field. `EXPECTED_SCHEMA` is
what HubSpot should say per customer; `CONTACTS_SCHEMA` is what it says, parsed from wire strings into the
same types so that values are compared typed (Trap 13), never as strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import polars as pl

from tasks.rules.config import MappingConfig, PropertiesConfig, PropertyType

MONEY = pl.Decimal(20, 2)
UTC_TIME = pl.Datetime("us", "UTC")
# HubSpot keeps datetimes to the millisecond: expected and actual instants compare at that precision.
INSTANT = pl.Datetime("ms", "UTC")

ORDERS_SCHEMA = pl.Schema(
    {
        "order_id": pl.Int64(),
        "order_gid": pl.String(),
        "name": pl.String(),
        "customer_id": pl.Int64(),
        "email": pl.String(),
        "processed_at": UTC_TIME,
        "processed_date": pl.Date(),
        "updated_at": UTC_TIME,
        "cancelled": pl.Boolean(),
        "test": pl.Boolean(),
        "financial_status": pl.String(),
        "current_total": MONEY,
        "total_price": MONEY,
        "currency": pl.String(),
        "source_name": pl.String(),
        "order_tags": pl.List(pl.String()),
        "customer_tags": pl.List(pl.String()),
        "product_ids": pl.List(pl.Int64()),
        "product_types": pl.List(pl.String()),
    }
)

PURCHASE_SCHEMA = pl.Schema(
    {
        "total_spent": MONEY,
        "order_count": pl.Int64(),
        "first_order_date": pl.Date(),
        "last_order_date": pl.Date(),
        "last_order_number": pl.String(),
        "last_order_at": INSTANT,
        "currency": pl.String(),
    }
)
"""The purchase facts written to HubSpot, shared by the expected and the contacts frames.

`last_order_at` (the workflow trigger) is the exact instant of the newest qualifying order; unlike the
others it only ever moves forward (`tasks.contacts.diff`)."""

EXPECTED_SCHEMA = pl.Schema({"customer_id": pl.Int64(), "email": pl.String(), **PURCHASE_SCHEMA})

CONTACTS_SCHEMA = pl.Schema(
    {
        "contact_id": pl.String(),
        "shopify_customer_id": pl.Int64(),
        "email": pl.String(),
        **PURCHASE_SCHEMA,
        "additional_emails": pl.List(pl.String()),
    }
)

MAPPING_DTYPES: dict[PropertyType, pl.DataType] = {"string": pl.String(), "number": MONEY, "date": pl.Date()}


def with_mappings(schema: pl.Schema, mappings: Sequence[MappingConfig]) -> pl.Schema:
    """`schema` followed by one typed column per mapped property (named by the property)."""
    return pl.Schema({**schema, **{mapping.property: MAPPING_DTYPES[mapping.type] for mapping in mappings}})


def conform(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """Exactly `schema`'s columns, in its order and dtypes, so even an empty result is typed."""
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])


class OrderLike(Protocol):
    """Anything shaped like `OrderRecord` (read-only attributes are enough)."""

    @property
    def order_id(self) -> int: ...
    @property
    def order_gid(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def customer_id(self) -> int | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def processed_at(self) -> datetime: ...
    @property
    def processed_date(self) -> date: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def cancelled(self) -> bool: ...
    @property
    def test(self) -> bool: ...
    @property
    def financial_status(self) -> str: ...
    @property
    def current_total(self) -> Decimal: ...
    @property
    def total_price(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...
    @property
    def source_name(self) -> str | None: ...
    @property
    def order_tags(self) -> Sequence[str]: ...
    @property
    def customer_tags(self) -> Sequence[str]: ...
    @property
    def product_ids(self) -> Sequence[int]: ...
    @property
    def product_types(self) -> Sequence[str] | None: ...


class ContactLike(Protocol):
    """A HubSpot contact as the client returns it: an id and wire-string properties."""

    @property
    def id(self) -> str: ...
    @property
    def properties(self) -> Mapping[str, str | None]: ...


def orders_frame(records: Iterable[OrderLike]) -> pl.DataFrame:
    """Build an ORDERS_SCHEMA frame, one row per order, column by column.

    Args:
        records: `OrderRecord`s or anything with the same attributes.

    Returns:
        A frame with exactly ORDERS_SCHEMA (an empty iterable gives an empty, correctly typed frame).
    """
    rows = list(records)
    columns = {name: [getattr(row, name) for row in rows] for name in ORDERS_SCHEMA}
    return pl.DataFrame(columns, schema=ORDERS_SCHEMA)


def orders_frame_from_columns(columns: Mapping[str, Sequence[Any]]) -> pl.DataFrame:
    """Build an ORDERS_SCHEMA frame from one value list per column, the list columns as JSON text.

    The order ledger stores tags and product lists as JSON text; decoding them column-wise here costs a
    fraction of a `json.loads` per value.
    """
    lists = {name for name, dtype in ORDERS_SCHEMA.items() if isinstance(dtype, pl.List)}
    raw = pl.DataFrame(
        {name: columns[name] for name in ORDERS_SCHEMA},
        schema={name: pl.String() if name in lists else dtype for name, dtype in ORDERS_SCHEMA.items()},
    )
    return raw.with_columns(pl.col(name).str.json_decode(ORDERS_SCHEMA[name]) for name in lists)


def contacts_frame(
    contacts: Iterable[ContactLike],
    properties: PropertiesConfig,
    mappings: Sequence[MappingConfig] = (),
) -> pl.DataFrame:
    """Parse HubSpot contacts into CONTACTS_SCHEMA (plus one typed column per mapping, named by its property).

    Wire strings become typed values: numbers as Decimal ("10.5" equals "10.50"), dates by day whether HubSpot
    echoes `YYYY-MM-DD`, ISO 8601 or epoch milliseconds, datetimes to the millisecond, emails stripped and
    lowercased, "" as null.

    Args:
        contacts: Contacts with `id` and `properties` (all values strings or None).
        properties: The configured HubSpot property names.
        mappings: Extra mapped properties to read back for comparison.

    Returns:
        A CONTACTS_SCHEMA frame followed by the mapping columns.
    """
    rows = list(contacts)
    wire = {
        "shopify_customer_id": properties.customer_id,
        "email": "email",
        "additional_emails": "hs_additional_emails",
        **{column: name for column, name in properties.by_column().items() if column != "customer_id"},
        **{mapping.property: mapping.property for mapping in mappings},
    }
    raw = pl.DataFrame(
        {
            "contact_id": [row.id for row in rows],
            **{column: [row.properties.get(name) for row in rows] for column, name in wire.items()},
        },
        schema={"contact_id": pl.String(), **dict.fromkeys(wire, pl.String())},
    )
    return raw.select(
        pl.col("contact_id"),
        _parse_id("shopify_customer_id"),
        _parse_email(pl.col("email")).alias("email"),
        _parse_money("total_spent"),
        _parse_money("order_count").cast(pl.Int64()),
        _parse_date("first_order_date"),
        _parse_date("last_order_date"),
        _parse_text("last_order_number"),
        _parse_instant("last_order_at"),
        _parse_text("currency"),
        _parse_emails("additional_emails"),
        *(_PARSERS[mapping.type](mapping.property) for mapping in mappings),
    )


def _blank_as_null(column: str) -> pl.Expr:
    text = pl.col(column).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _parse_text(column: str) -> pl.Expr:
    return _blank_as_null(column).alias(column)


def _parse_id(column: str) -> pl.Expr:
    # Straight from string to Int64: a Shopify id must never pass through a float.
    return _blank_as_null(column).cast(pl.Int64(), strict=False).alias(column)


def _parse_money(column: str) -> pl.Expr:
    return _blank_as_null(column).cast(MONEY, strict=False).alias(column)


def _parse_date(column: str) -> pl.Expr:
    text = _blank_as_null(column)
    epoch_ms = text.cast(pl.Int64(), strict=False).cast(pl.Datetime("ms", "UTC")).dt.date()
    calendar = text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    return pl.when(text.str.contains(r"^\d+$")).then(epoch_ms).otherwise(calendar).alias(column)


def _parse_instant(column: str) -> pl.Expr:
    """A datetime as HubSpot echoes it (ISO 8601, `Z` or an offset) or as epoch milliseconds."""
    text = _blank_as_null(column)
    epoch_ms = text.cast(pl.Int64(), strict=False).cast(INSTANT)
    iso = text.str.replace(r"Z$", "+00:00").str.to_datetime(
        "%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_zone="UTC"
    )
    return pl.when(text.str.contains(r"^\d+$")).then(epoch_ms).otherwise(iso.cast(INSTANT)).alias(column)


def _parse_email(text: pl.Expr) -> pl.Expr:
    email = text.str.strip_chars().str.to_lowercase()
    return pl.when(email == "").then(None).otherwise(email)


def _parse_emails(column: str) -> pl.Expr:
    # hs_additional_emails is one string, "a@x.com;b@y.com".
    return (
        pl.col(column)
        .str.split(";")
        .list.eval(_parse_email(pl.element()).drop_nulls())
        .fill_null(pl.lit([], dtype=pl.List(pl.String())))
        .alias(column)
    )


_PARSERS = {"string": _parse_text, "number": _parse_money, "date": _parse_date}
