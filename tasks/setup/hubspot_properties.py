"""The HubSpot contact properties shopsync writes, and an idempotent setup that makes sure they exist.

Setup never changes an existing definition: a property of the wrong type is a configuration problem a person
must resolve (rename it in `shopsync.toml`, or fix it in HubSpot), because silently retyping a property would
corrupt every value already stored in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tasks.errors import ConfigError
from tasks.hubspot.client import HubSpotClient
from tasks.hubspot.models import PropertyDefinition, PropertyOption
from tasks.rules.config import WRITE_SOURCES, PropertyType, ShopsyncConfig, WriteSource

PropertyOutcome = Literal["created", "exists"]

# Our type → HubSpot's (type, fieldType) pair (api-facts B4); only a built-in fact is a datetime.
_FactType = Literal[PropertyType, "datetime"]
_HUBSPOT_TYPES: dict[_FactType, tuple[Literal["string", "number", "date", "datetime"], str]] = {
    "string": ("string", "text"),
    "number": ("number", "number"),
    "date": ("date", "date"),
    "datetime": ("datetime", "date"),
}
# Frame column → (our type, label, description) of the built-in purchase facts; descriptions end without
# a period because `_definition` appends one sentence.
_PURCHASE_FACTS: dict[str, tuple[_FactType, str, str]] = {
    "customer_id": ("string", "Shopify customer ID", "The Shopify customer this contact stands for"),
    "total_spent": ("number", "Shopify total spent", "Net spend of qualifying orders, shop currency"),
    "order_count": ("number", "Shopify order count", "How many of the customer's orders qualify"),
    "first_order_date": ("date", "Shopify first order date", "Shop-local date of the first qualifying order"),
    "last_order_date": ("date", "Shopify last order date", "Shop-local date of the latest qualifying order"),
    "last_order_number": ("string", "Shopify last order number", "Name of the latest qualifying order"),
    "last_order_at": (
        "datetime",
        "Shopify last order paid at",
        "When the newest paid order was placed (UTC). Changes once per new paid order, never on a refund, "
        "a cancellation or a correction: the property to enrol post-purchase workflows on",
    ),
    "currency": ("string", "Shopify currency", "The shop currency the totals are in"),
}


_SOURCE_LABELS: dict[WriteSource, str] = {
    "realtime": "Real-time (webhook)",
    "reconcile": "Nightly reconciliation",
    "replay": "Replay of a failed delivery",
    "backfill": "Backfill (history import)",
}


@dataclass(frozen=True)
class SetupReport:
    """What `ensure_properties` found or did.

    Attributes:
        group_created: True when the property group was new.
        properties: Property name → "created" or "exists", in `desired_properties` order.
    """

    group_created: bool
    properties: dict[str, PropertyOutcome]

    @property
    def created(self) -> list[str]:
        """Names of the properties this run created."""
        return [name for name, outcome in self.properties.items() if outcome == "created"]

    @property
    def existing(self) -> list[str]:
        """Names of the properties that were already there, with the right type."""
        return [name for name, outcome in self.properties.items() if outcome == "exists"]


def desired_properties(config: ShopsyncConfig) -> list[PropertyDefinition]:
    """The definitions of every property shopsync writes, in the configured group.

    Args:
        config: The configuration; `[properties]` names the purchase facts, `[[mapping]]` adds properties.

    Returns:
        The purchase facts (the customer id one unique), then one definition per mapping.
    """
    return [definition for _, definition in desired_with_keys(config)]


def ensure_properties(client: HubSpotClient, config: ShopsyncConfig) -> SetupReport:
    """Create the property group and every missing property; safe to run any number of times.

    Every property is checked before anything is written, so a conflict leaves HubSpot untouched.

    Args:
        client: The HubSpot client.
        config: The configuration naming the properties and their group.

    Returns:
        Which properties were created and which already existed.

    Raises:
        ConfigError: A property exists with another type or field type, or the customer id property is not
            unique; the message names the property, its current and wanted definition, and the setting.
        HubSpotRequestFailed: HubSpot refused a read or a create for another reason.
    """
    desired = desired_with_keys(config)
    current = {definition.name: client.get_property(definition.name) for _, definition in desired}
    problems = [
        problem
        for key, definition in desired
        if (problem := _conflict(key, definition, current[definition.name])) is not None
    ]
    if problems:
        raise ConfigError("; ".join(problems))
    group = config.properties
    group_created = client.create_group(group.group_name, group.group_label)
    outcomes: dict[str, PropertyOutcome] = {}
    for key, definition in desired:
        outcomes[definition.name] = (
            "exists" if current[definition.name] is not None else _create(client, key, definition)
        )
    return SetupReport(group_created=group_created, properties=outcomes)


def desired_with_keys(config: ShopsyncConfig) -> list[tuple[str, PropertyDefinition]]:
    """(the `shopsync.toml` key naming the property, its definition) pairs, in creation order."""
    group = config.properties.group_name
    pairs = []
    for column, name in config.properties.by_column().items():
        kind, label, description = _PURCHASE_FACTS[column]
        definition = _definition(name, kind, label, description, group, unique=column == "customer_id")
        pairs.append((f"properties.{column}", definition))
    pairs.append(("properties.write_source", _source_definition(config.properties.write_source, group)))
    for index, mapping in enumerate(config.mapping):
        label = mapping.property.replace("_", " ").capitalize()
        description = f"{mapping.source} of the latest qualifying order"
        definition = _definition(mapping.property, mapping.type, label, description, group)
        pairs.append((f"mapping[{index}].property", definition))
    return pairs


def _definition(
    name: str, kind: _FactType, label: str, description: str, group: str, *, unique: bool = False
) -> PropertyDefinition:
    hubspot_type, field_type = _HUBSPOT_TYPES[kind]
    return PropertyDefinition(
        name=name,
        label=label,
        type=hubspot_type,
        field_type=field_type,
        group_name=group,
        description=f"{description}. Written by shopsync.",
        has_unique_value=unique,
    )


def _source_definition(name: str, group: str) -> PropertyDefinition:
    """The write-source enumeration: which shopsync path made the contact's last change."""
    options = [
        PropertyOption(label=_SOURCE_LABELS[source], value=source, display_order=order)
        for order, source in enumerate(WRITE_SOURCES)
    ]
    return PropertyDefinition(
        name=name,
        label="Shopify last write source",
        type="enumeration",
        field_type="select",
        group_name=group,
        description=(
            "Which shopsync path made the last change, written with every change: realtime (a webhook), "
            "reconcile (the nightly run), replay (a failed delivery sent again), backfill (a history "
            "import). Written by shopsync."
        ),
        options=options,
    )


def property_mismatch(wanted: PropertyDefinition, current: PropertyDefinition | None) -> str | None:
    """How an existing property differs from `wanted`, or None when it fits (or doesn't exist)."""
    if current is None:
        return None
    if (current.type, current.field_type) == (wanted.type, wanted.field_type) and (
        current.has_unique_value or not wanted.has_unique_value
    ):
        return None
    return f"HubSpot property {wanted.name!r} is {_shape(current)} but shopsync needs {_shape(wanted)}"


def mismatch_fix(key: str) -> str:
    """What to do about a mismatched property named by the `shopsync.toml` key `key`."""
    return (
        f"shopsync never changes an existing property, so fix it in HubSpot or set {key} in shopsync.toml "
        "to another name"
    )


def _conflict(key: str, wanted: PropertyDefinition, current: PropertyDefinition | None) -> str | None:
    """Why an existing property can't be used as `wanted` and what to do, or None when it can."""
    mismatch = property_mismatch(wanted, current)
    return None if mismatch is None else f"{mismatch}; {mismatch_fix(key)}"


def _shape(definition: PropertyDefinition) -> str:
    """How a conflict message shows a definition, e.g. `number/number` or `string/text (unique)`."""
    unique = " (unique)" if definition.has_unique_value else ""
    return f"{definition.type}/{definition.field_type}{unique}"


def _create(client: HubSpotClient, key: str, definition: PropertyDefinition) -> PropertyOutcome:
    """Create one property; a 409 means someone created it since our read, so check theirs instead."""
    if client.create_property(definition):
        return "created"
    theirs = client.get_property(definition.name)
    if theirs is None:
        raise ConfigError(
            f"HubSpot says property {definition.name!r} exists but cannot read it (archived?); restore "
            f"or purge it in HubSpot, or set {key} in shopsync.toml to another name"
        )
    problem = _conflict(key, definition, theirs)
    if problem is not None:
        raise ConfigError(problem)
    return "exists"
