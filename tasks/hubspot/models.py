"""What the HubSpot CRM API sends and takes: contacts, batch results, error bodies and property definitions.

Wire names are camelCase; the models expose snake_case and validate by alias. Property *values* are strings on
the wire (api-facts B4); `tasks.hubspot.values` converts them to and from typed values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tasks.hubspot.values import (
    PropertyValue,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
    serialize_properties,
    serialize_value,
)

__all__ = [
    "BatchError",
    "BatchResult",
    "Contact",
    "ContactCreate",
    "ContactPage",
    "ErrorDetail",
    "HubSpotError",
    "PropertyDefinition",
    "PropertyGroup",
    "PropertyOption",
    "PropertyValue",
    "UpsertedContact",
    "parse_bool",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_int",
    "serialize_properties",
    "serialize_value",
]


class _Wire(BaseModel):
    """Reads camelCase, ignores fields we don't use (HubSpot adds fields without notice)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class Contact(_Wire):
    """A CRM contact; `properties` holds only the properties asked for, `None` when empty."""

    id: str
    properties: dict[str, str | None] = Field(default_factory=dict)
    created_at: datetime | None = Field(default=None, alias="createdAt")
    updated_at: datetime | None = Field(default=None, alias="updatedAt")
    archived: bool = False


class UpsertedContact(Contact):
    """A batch upsert result: the contact plus whether the upsert created it."""

    new: bool = False


ResultT = TypeVar("ResultT", bound=Contact)


class _NextPage(_Wire):
    after: str


class _Paging(_Wire):
    next: _NextPage | None = None


class ContactPage(_Wire):
    """One page of the list or search endpoint; `total` comes with search answers only."""

    results: list[Contact] = Field(default_factory=list)
    paging: _Paging | None = None
    total: int | None = None

    @property
    def next_after(self) -> str | None:
        """The cursor of the next page, `None` on the last page."""
        return self.paging.next.after if self.paging and self.paging.next else None


class BatchError(_Wire):
    """One failed input of a 207 multi-status answer; `context` names the inputs it concerns."""

    status: str = "error"
    category: str | None = None
    sub_category: str | None = Field(default=None, alias="subCategory")
    message: str = ""
    context: dict[str, list[str]] = Field(default_factory=dict)

    def references(self) -> set[str]:
        """Every value in `context` (objectWriteTraceId, ids, ...), to match the error to its input."""
        return {value for values in self.context.values() for value in values}


class BatchResult(_Wire, Generic[ResultT]):
    """The answer of a batch endpoint: what was written or read, and what failed per input."""

    status: str | None = None
    results: list[ResultT] = Field(default_factory=list)
    errors: list[BatchError] = Field(default_factory=list)
    num_errors: int = Field(default=0, alias="numErrors")


@dataclass(frozen=True)
class ContactCreate:
    """One input of a batch create; the trace id lets HubSpot attribute a failure to this input."""

    properties: dict[str, PropertyValue]
    object_write_trace_id: str


class ErrorDetail(_Wire):
    """One entry of an error body's `errors[]`."""

    message: str = ""
    code: str | None = None
    context: dict[str, Any] = Field(default_factory=dict)


class HubSpotError(_Wire):
    """HubSpot's error body; every field is optional (api-facts B6), 429s add `policyName`."""

    status: str | None = None
    message: str = ""
    correlation_id: str | None = Field(default=None, alias="correlationId")
    category: str | None = None
    sub_category: str | None = Field(default=None, alias="subCategory")
    error_type: str | None = Field(default=None, alias="errorType")
    policy_name: str | None = Field(default=None, alias="policyName")
    errors: list[ErrorDetail] = Field(default_factory=list)
    context: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_response(cls, response: httpx.Response) -> HubSpotError:
        """Parse an error response; a body that isn't HubSpot JSON (a proxy page) becomes its text."""
        try:
            error = cls.model_validate(response.json())
        except (json.JSONDecodeError, ValidationError, UnicodeDecodeError):
            error = cls(message=response.text[:500])
        if error.correlation_id is None:
            header = response.headers.get("X-HubSpot-Correlation-Id")
            error = error.model_copy(update={"correlation_id": header})
        return error

    def describe(self) -> str:
        """One line for logs and rejection reasons: message plus each detail and its context."""
        parts = [self.message] if self.message else []
        for detail in self.errors:
            context = f" {detail.context}" if detail.context else ""
            parts.append(f"{detail.message}{context}")
        return "; ".join(parts) or "no error message"


class PropertyOption(_Wire):
    """One choice of an enumeration property."""

    label: str
    value: str
    display_order: int | None = Field(default=None, alias="displayOrder")
    hidden: bool = False


class PropertyDefinition(_Wire):
    """A contact property's definition, as read from and sent to the properties API."""

    name: str
    label: str
    type: Literal["string", "number", "date", "datetime", "bool", "enumeration"]
    field_type: str = Field(alias="fieldType")
    group_name: str = Field(alias="groupName")
    description: str = ""
    has_unique_value: bool = Field(default=False, alias="hasUniqueValue")
    options: list[PropertyOption] = Field(default_factory=list)
    archived: bool = False

    def create_body(self) -> dict[str, Any]:
        """The JSON body for `POST /properties/contacts`."""
        return self.model_dump(by_alias=True, exclude={"archived"}, exclude_defaults=False)


class PropertyGroup(_Wire):
    """A property group (a folder of properties in the HubSpot UI)."""

    name: str
    label: str
    archived: bool = False


class TokenInfo(_Wire):
    """What HubSpot says about a private-app token: its portal (hub) and granted scopes."""

    hub_id: int = Field(alias="hubId")
    app_id: int | None = Field(default=None, alias="appId")
    user_id: int | None = Field(default=None, alias="userId")
    scopes: frozenset[str] = frozenset()
