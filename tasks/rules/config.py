"""`shopsync.toml`: which orders count, what the HubSpot properties are called, how reconciliation behaves.

Every model forbids unknown keys so a typo fails loudly, and `load_config` re-raises validation errors as
`ConfigError` messages that start with the TOML key path (``rules.min_order_total: ...``).
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tasks.errors import ConfigError

FINANCIAL_STATUSES = frozenset(
    {"pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided"}
)
PropertyType = Literal["string", "number", "date"]
# Which shopsync path made a change, written with every change (`PropertiesConfig.write_source`).
WriteSource = Literal["realtime", "reconcile", "replay", "backfill"]
WRITE_SOURCES: tuple[WriteSource, ...] = ("realtime", "reconcile", "replay", "backfill")
# Source → (ORDERS_SCHEMA column, its natural HubSpot type). Any source may also be written as a string.
MAPPING_SOURCES: dict[str, tuple[str, PropertyType]] = {
    "order.name": ("name", "string"),
    "order.source_name": ("source_name", "string"),
    "order.tags": ("order_tags", "string"),
    "order.financial_status": ("financial_status", "string"),
    "order.processed_date": ("processed_date", "date"),
    "order.current_total": ("current_total", "number"),
    "order.total_price": ("total_price", "number"),
    "customer.tags": ("customer_tags", "string"),
    "customer.email": ("email", "string"),
}
_PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_FRAME_COLUMNS = frozenset(
    {"contact_id", "shopify_customer_id", "email", "additional_emails", "hs_additional_emails"}
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _normalised(values: tuple[str, ...]) -> tuple[str, ...]:
    """Stripped, lowercased, without blanks or repeats (order kept so skip reasons are stable)."""
    cleaned = (value.strip().lower() for value in values)
    return tuple(dict.fromkeys(value for value in cleaned if value))


class RulesConfig(_Section):
    """Which orders qualify: every configured rule must pass. Value lists compare case-insensitively."""

    min_order_total: Decimal = Field(default=Decimal("0"), ge=0)
    include_product_types: tuple[str, ...] = ()
    exclude_product_types: tuple[str, ...] = ()
    require_order_tags: tuple[str, ...] = ()
    exclude_order_tags: tuple[str, ...] = ()
    require_customer_tags: tuple[str, ...] = ()
    exclude_customer_tags: tuple[str, ...] = ()
    include_source_names: tuple[str, ...] = ()
    exclude_source_names: tuple[str, ...] = ()
    financial_statuses: tuple[str, ...] = ("paid", "partially_refunded")
    exclude_test_orders: bool = True
    exclude_cancelled: bool = True

    @field_validator(
        "include_product_types",
        "exclude_product_types",
        "require_order_tags",
        "exclude_order_tags",
        "require_customer_tags",
        "exclude_customer_tags",
        "include_source_names",
        "exclude_source_names",
    )
    @classmethod
    def _lowercase(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _normalised(values)

    @field_validator("financial_statuses")
    @classmethod
    def _known_statuses(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        statuses = _normalised(values)
        unknown = sorted(set(statuses) - FINANCIAL_STATUSES)
        if unknown:
            raise ValueError(f"unknown status {unknown}; expected some of {sorted(FINANCIAL_STATUSES)}")
        if not statuses:
            raise ValueError("at least one financial status must count, or no order ever qualifies")
        return statuses

    @property
    def uses_product_types(self) -> bool:
        """True when a rule needs the orders' product types (webhook orders must resolve them first)."""
        return bool(self.include_product_types or self.exclude_product_types)


class PropertiesConfig(_Section):
    """HubSpot property names for each purchase fact, and the group they are created in."""

    customer_id: str = "shopify_customer_id"
    total_spent: str = "shopify_total_spent"
    order_count: str = "shopify_order_count"
    first_order_date: str = "shopify_first_order_date"
    last_order_date: str = "shopify_last_order_date"
    last_order_number: str = "shopify_last_order_number"
    # The workflow trigger: changes once per new paid order, never on corrections (docs/hubspot-workflows.md).
    last_order_at: str = "shopify_last_order_paid_at"
    currency: str = "shopify_currency"
    # Not a purchase fact: which shopsync path made the last change (one of WRITE_SOURCES).
    write_source: str = "shopify_last_write_source"
    group_name: str = "shopify"
    group_label: str = "Shopify"

    @model_validator(mode="after")
    def _valid_names(self) -> PropertiesConfig:
        names = {**self.by_column(), "write_source": self.write_source}
        for column, name in [*names.items(), ("group_name", self.group_name)]:
            if not _PROPERTY_NAME.match(name):
                raise ValueError(f"{column}: {name!r} is not a HubSpot internal name (a-z, 0-9, _)")
        if len(set(names.values())) != len(names):
            raise ValueError("two properties share one HubSpot property name")
        return self

    def by_column(self) -> dict[str, str]:
        """Frame column (EXPECTED_SCHEMA / CONTACTS_SCHEMA) → HubSpot property name."""
        return {
            "customer_id": self.customer_id,
            "total_spent": self.total_spent,
            "order_count": self.order_count,
            "first_order_date": self.first_order_date,
            "last_order_date": self.last_order_date,
            "last_order_number": self.last_order_number,
            "last_order_at": self.last_order_at,
            "currency": self.currency,
        }


class MappingConfig(_Section):
    """One extra HubSpot property filled from the customer's latest qualifying order."""

    source: str
    property: str
    type: PropertyType = "string"

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if value not in MAPPING_SOURCES:
            raise ValueError(f"unknown source {value!r}; expected one of {sorted(MAPPING_SOURCES)}")
        return value

    @field_validator("property")
    @classmethod
    def _property_name(cls, value: str) -> str:
        if not _PROPERTY_NAME.match(value):
            raise ValueError(f"{value!r} is not a HubSpot internal name (a-z, 0-9, _)")
        return value

    @model_validator(mode="after")
    def _type_fits_source(self) -> MappingConfig:
        natural = MAPPING_SOURCES[self.source][1]
        if self.type not in (natural, "string"):
            raise ValueError(f"type {self.type!r} does not fit {self.source} (use {natural!r} or 'string')")
        return self

    def source_column(self) -> str:
        """The ORDERS_SCHEMA column this mapping reads."""
        return MAPPING_SOURCES[self.source][0]


class ReconcileConfig(_Section):
    """How the nightly reconciliation treats orphans, how much drift it accepts, and how it batches."""

    orphan_policy: Literal["reset", "report"] = "reset"
    max_drift_share: float = Field(default=0.2, ge=0, le=1)
    batch_size: int = Field(default=100, ge=1, le=100)
    overlap_hours: int = Field(default=48, ge=0)
    # Drifted contacts above which the drift event is labelled for the alerting automation.
    alert_drift_contacts: int = Field(default=0, ge=0)


class PrivacyConfig(_Section):
    """What a `customers/redact` does to the customer's HubSpot contact.

    "clear_properties" empties every shopsync property and keeps the contact (HubSpot's users own it);
    "delete_contact" also archives the contact, but only one shopsync created itself.
    """

    on_redact: Literal["clear_properties", "delete_contact"] = "clear_properties"


class ShopsyncConfig(_Section):
    """The whole `shopsync.toml`."""

    rules: RulesConfig = RulesConfig()
    properties: PropertiesConfig = PropertiesConfig()
    mapping: tuple[MappingConfig, ...] = ()
    reconcile: ReconcileConfig = ReconcileConfig()
    privacy: PrivacyConfig = PrivacyConfig()

    @model_validator(mode="after")
    def _distinct_properties(self) -> ShopsyncConfig:
        # Mapped properties become frame columns too, so they may not shadow the built-in ones.
        columns = self.properties.by_column()
        taken = {*columns.values(), *columns, *_FRAME_COLUMNS, self.properties.write_source}
        for mapping in self.mapping:
            if mapping.property in taken:
                raise ValueError(f"mapping property {mapping.property!r} is already used")
            taken.add(mapping.property)
        return self


def load_config(path: Path | None) -> ShopsyncConfig:
    """Read and validate `shopsync.toml`.

    Args:
        path: The TOML file; None or a missing file gives the defaults.

    Returns:
        The validated configuration.

    Raises:
        ConfigError: The file is not valid TOML, or a key is unknown or invalid (the message names it).
    """
    if path is None or not path.is_file():
        return ShopsyncConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
    try:
        return ShopsyncConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{path}: {_describe(error)}") from error


def _describe(error: ValidationError) -> str:
    """One line per problem, each starting with the TOML key path (`mapping[0].source: ...`)."""
    problems = []
    for detail in error.errors():
        path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in detail["loc"])
        message = "unknown key" if detail["type"] == "extra_forbidden" else detail["msg"]
        problems.append(f"{path.lstrip('.') or '(top level)'}: {message}")
    return "; ".join(problems)
