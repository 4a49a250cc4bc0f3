"""The shopsync property group and properties, for sandbox portals seeded with contacts shopsync wrote.

A real portal only holds `shopify_*` values after shopsync's property setup ran, and the sandbox rejects
unknown properties like HubSpot does, so seeding such contacts needs the definitions first. Their shape
comes from shopsync's own setup code (the single source of truth; it imports no Prefect).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sandbox.hubspot.schema import PropertySchema
from tasks.rules.config import ShopsyncConfig
from tasks.setup.hubspot_properties import desired_properties


def define_shopsync_properties(
    schema: PropertySchema, now: datetime, seeded: Iterable[Mapping[str, str]]
) -> bool:
    """Define shopsync's default group and properties when a seeded contact carries one of them.

    Args:
        schema: The portal's property schema.
        now: Creation time of the definitions.
        seeded: The seeded contacts' properties.

    Returns:
        True when the definitions were added (False: no seeded contact needs them, the portal stays bare).
    """
    config = ShopsyncConfig()
    definitions = desired_properties(config)
    names = {definition.name for definition in definitions}
    if not any(names.intersection(properties) for properties in seeded):
        return False
    group = config.properties
    if group.group_name not in schema.groups:
        schema.create_group({"name": group.group_name, "label": group.group_label})
    for definition in definitions:
        if schema.get(definition.name) is None:
            schema.create_property(definition.create_body(), now)
    return True
