"""Contact property definitions and groups: built-ins, creation rules, value checks."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sandbox.hubspot import values
from sandbox.hubspot.errors import HubSpotError, PropertyIssue, validation_error

MAX_UNIQUE_PROPERTIES = 10
FIELD_TYPES: dict[str, set[str]] = {
    "string": {"text", "textarea", "phonenumber", "html", "file"},
    "number": {"number", "calculation_equation"},
    "date": {"date"},
    "datetime": {"date"},
    "bool": {"booleancheckbox", "calculation_equation"},
    "enumeration": {"select", "radio", "checkbox", "booleancheckbox", "calculation_equation"},
}
_LIFECYCLE_STAGES = [
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
]


@dataclass
class PropertyDef:
    """One contact property definition."""

    name: str
    label: str
    type: str
    field_type: str
    group_name: str
    created_at: datetime
    updated_at: datetime
    description: str = ""
    options: list[dict[str, Any]] = field(default_factory=list)
    has_unique_value: bool = False
    hubspot_defined: bool = False
    read_only_value: bool = False
    display_order: int = -1
    hidden: bool = False
    form_field: bool = True

    def to_json(self) -> dict[str, Any]:
        """The property as `GET /properties/contacts/{name}` returns it."""
        return {
            "updatedAt": values.iso_millis(self.updated_at),
            "createdAt": values.iso_millis(self.created_at),
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "description": self.description,
            "groupName": self.group_name,
            "options": self.options,
            "displayOrder": self.display_order,
            "calculated": False,
            "externalOptions": False,
            "hasUniqueValue": self.has_unique_value,
            "hidden": self.hidden,
            "hubspotDefined": self.hubspot_defined,
            "modificationMetadata": {
                "archivable": not self.hubspot_defined,
                "readOnlyDefinition": self.hubspot_defined,
                "readOnlyValue": self.read_only_value,
            },
            "formField": self.form_field,
            "archived": False,
        }

    def normalise(self, raw: str) -> str:
        """The stored form of a (non-empty) written value; raises PropertyIssue."""
        if self.type == "number":
            return values.normalise_number(self.name, raw)
        if self.type == "date":
            return values.normalise_date(self.name, raw)
        if self.type == "datetime":
            return values.normalise_datetime(self.name, raw)
        if self.type == "bool":
            return values.normalise_bool(self.name, raw)
        if self.type == "enumeration":
            allowed = [str(option["value"]) for option in self.options]
            return values.normalise_enumeration(
                self.name, raw, allowed, multiple=self.field_type == "checkbox"
            )
        return raw


def _option(value: str) -> dict[str, Any]:
    label = value.replace("qualifiedlead", " qualified lead").title()
    return {"label": label, "value": value, "displayOrder": -1, "hidden": False}


def builtin_properties(now: datetime) -> list[PropertyDef]:
    """The HubSpot-defined contact properties the sandbox knows."""

    def builtin(name: str, label: str, kind: str, field_type: str, **extra: Any) -> PropertyDef:
        return PropertyDef(
            name,
            label,
            kind,
            field_type,
            "contactinformation",
            now,
            now,
            hubspot_defined=True,
            **extra,
        )

    return [
        builtin("email", "Email", "string", "text"),
        builtin("firstname", "First Name", "string", "text"),
        builtin("lastname", "Last Name", "string", "text"),
        builtin("phone", "Phone Number", "string", "phonenumber"),
        builtin("hs_additional_emails", "Additional email addresses", "enumeration", "checkbox"),
        builtin("createdate", "Create Date", "datetime", "date"),
        builtin("lastmodifieddate", "Last Modified Date", "datetime", "date", read_only_value=True),
        builtin("hs_object_id", "Record ID", "number", "number", read_only_value=True),
        builtin(
            "hs_merged_object_ids",
            "Merged Contact IDs",
            "enumeration",
            "checkbox",
            read_only_value=True,
        ),
        builtin(
            "lifecyclestage",
            "Lifecycle Stage",
            "enumeration",
            "radio",
            options=[_option(stage) for stage in _LIFECYCLE_STAGES],
        ),
    ]


def builtin_groups() -> dict[str, dict[str, Any]]:
    """The HubSpot-defined contact property groups."""
    groups = {"contactinformation": "Contact information", "conversioninformation": "Conversion"}
    return {
        name: {"name": name, "label": label, "displayOrder": index, "archived": False}
        for index, (name, label) in enumerate(groups.items())
    }


def _required_str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise validation_error(f"Property definition is missing `{key}`", propertyName=[key])
    return value


def _check_type_pair(kind: str, field_type: str) -> None:
    if field_type not in FIELD_TYPES.get(kind, set()):
        message = f"Property type {kind} is not compatible with fieldType {field_type}"
        raise validation_error(message)


def _options_from(body: dict[str, Any]) -> list[dict[str, Any]]:
    options = body.get("options") or []
    if not isinstance(options, list):
        raise validation_error("`options` must be a list")
    return [
        {
            "label": str(option.get("label", option.get("value", ""))),
            "value": str(option.get("value", "")),
            "displayOrder": int(option.get("displayOrder", -1)),
            "hidden": bool(option.get("hidden", False)),
        }
        for option in options
    ]


class PropertySchema:
    """All contact properties and groups of the portal."""

    def __init__(self, now: datetime) -> None:
        self.properties = {p.name: p for p in builtin_properties(now)}
        self.groups = builtin_groups()

    def get(self, name: str) -> PropertyDef | None:
        """A property by name, or None."""
        return self.properties.get(name)

    def unique_names(self) -> list[str]:
        """Names of properties declared with `hasUniqueValue`."""
        return [p.name for p in self.properties.values() if p.has_unique_value]

    def create_property(self, body: dict[str, Any], now: datetime) -> PropertyDef:
        """Define a property from a `POST /properties/contacts` body.

        Raises:
            HubSpotError: 409 OBJECT_ALREADY_EXISTS, or 400 for a bad definition.
        """
        name = _required_str(body, "name")
        if name in self.properties:
            message = f"A property named '{name}' already exists."
            raise HubSpotError(409, "OBJECT_ALREADY_EXISTS", message)
        kind, field_type = _required_str(body, "type"), _required_str(body, "fieldType")
        _check_type_pair(kind, field_type)
        group = _required_str(body, "groupName")
        if group not in self.groups:
            raise validation_error(f"Property group {group} does not exist", groupName=[group])
        unique = bool(body.get("hasUniqueValue", False))
        if unique and len(self.unique_names()) >= MAX_UNIQUE_PROPERTIES:
            message = f"An object can have at most {MAX_UNIQUE_PROPERTIES} unique value properties"
            raise validation_error(message, propertyName=[name])
        prop = PropertyDef(
            name,
            _required_str(body, "label"),
            kind,
            field_type,
            group,
            now,
            now,
            description=str(body.get("description", "")),
            options=_options_from(body),
            has_unique_value=unique,
            display_order=int(body.get("displayOrder", -1)),
            hidden=bool(body.get("hidden", False)),
            form_field=bool(body.get("formField", True)),
        )
        self.properties[name] = prop
        return prop

    def update_property(self, name: str, body: dict[str, Any], now: datetime) -> PropertyDef:
        """Apply a `PATCH /properties/contacts/{name}` body (hasUniqueValue cannot change)."""
        prop = self.properties[name]
        if prop.hubspot_defined:
            message = f"Property {name} is HubSpot-defined and its definition is read-only"
            raise HubSpotError(400, "VALIDATION_ERROR", message, sub_category="READ_ONLY_DEFINITION")
        if "hasUniqueValue" in body and bool(body["hasUniqueValue"]) != prop.has_unique_value:
            raise validation_error("hasUniqueValue cannot be changed after creation")
        kind = str(body.get("type", prop.type))
        field_type = str(body.get("fieldType", prop.field_type))
        _check_type_pair(kind, field_type)
        group = str(body.get("groupName", prop.group_name))
        if group not in self.groups:
            raise validation_error(f"Property group {group} does not exist", groupName=[group])
        updated = replace(
            prop,
            type=kind,
            field_type=field_type,
            group_name=group,
            updated_at=now,
            label=str(body.get("label", prop.label)),
            description=str(body.get("description", prop.description)),
            options=_options_from(body) if "options" in body else prop.options,
            display_order=int(body.get("displayOrder", prop.display_order)),
            hidden=bool(body.get("hidden", prop.hidden)),
            form_field=bool(body.get("formField", prop.form_field)),
        )
        self.properties[name] = updated
        return updated

    def create_group(self, body: dict[str, Any]) -> dict[str, Any]:
        """Define a property group; 409 OBJECT_ALREADY_EXISTS when the name is taken."""
        name, label = _required_str(body, "name"), _required_str(body, "label")
        if name in self.groups:
            message = f"A property group named '{name}' already exists."
            raise HubSpotError(409, "OBJECT_ALREADY_EXISTS", message)
        order = int(body.get("displayOrder", -1))
        self.groups[name] = {"name": name, "label": label, "displayOrder": order, "archived": False}
        return self.groups[name]

    def check_value(self, name: str, raw: object, *, api_write: bool) -> str | None:
        """The stored form of `raw` for property `name`; None clears. Raises PropertyIssue."""
        prop = self.properties.get(name)
        if prop is None:
            raise PropertyIssue(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
        if api_write and prop.read_only_value:
            message = f'Property "{name}" is read only and cannot be set'
            raise PropertyIssue(name, "READ_ONLY_VALUE", message)
        if raw is None:
            return None
        text = str(raw).lower() if isinstance(raw, bool) else str(raw)
        return None if text == "" else prop.normalise(text)
