"""Pydantic models of the Admin GraphQL response parts the client reads (cost, pages, bulk jobs, webhooks)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from tasks.errors import ShopifyFetchFailed

_Model = TypeVar("_Model", bound=BaseModel)


def parse_reply(model: type[_Model], value: object, where: str) -> _Model:
    """Validate part of a reply, turning a malformed shape into ShopifyFetchFailed that says where."""
    try:
        return model.model_validate(value)
    except ValidationError as error:
        raise ShopifyFetchFailed(f"malformed {where} in Shopify reply: {error}") from error


class _GraphQLModel(BaseModel):
    """GraphQL speaks camelCase; we keep snake_case attributes and ignore fields we did not ask about."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore")


class ThrottleStatus(_GraphQLModel):
    """The leaky bucket after a request: points available now, the cap, and points restored per second."""

    maximum_available: float
    currently_available: float
    restore_rate: float


class QueryCost(_GraphQLModel):
    """`extensions.cost` of a response; `actual_query_cost` is null on a throttled request."""

    requested_query_cost: float | None = None
    actual_query_cost: float | None = None
    throttle_status: ThrottleStatus | None = None


class PageInfo(_GraphQLModel):
    """Cursor pagination state of a connection."""

    has_next_page: bool
    end_cursor: str | None = None


class Connection(_GraphQLModel):
    """A connection selected as `pageInfo` + `nodes`; nodes stay raw for the record constructors."""

    page_info: PageInfo
    nodes: list[dict[str, Any]]


class BulkOperationStatus(StrEnum):
    """Lifecycle of a bulk operation; the last four are final."""

    CREATED = "CREATED"
    RUNNING = "RUNNING"
    CANCELING = "CANCELING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"


FINAL_BULK_STATUSES = frozenset(
    {
        BulkOperationStatus.COMPLETED,
        BulkOperationStatus.FAILED,
        BulkOperationStatus.CANCELED,
        BulkOperationStatus.EXPIRED,
    }
)


class BulkOperation(_GraphQLModel):
    """A bulk export job; `object_count`/`file_size` arrive as `UnsignedInt64` strings, parsed to int."""

    id: str
    status: BulkOperationStatus
    error_code: str | None = None
    object_count: int | None = None
    file_size: int | None = None
    url: str | None = None
    partial_data_url: str | None = None

    @property
    def finished(self) -> bool:
        """True once the job can no longer change (completed, failed, canceled or expired)."""
        return self.status in FINAL_BULK_STATUSES


class UserError(_GraphQLModel):
    """A mutation's `userErrors[]` entry."""

    field: list[str] | None = None
    message: str
    code: str | None = None


class WebhookSubscription(_GraphQLModel):
    """A webhook subscription of this app (`uri` replaced the deprecated `callbackUrl`/`endpoint`)."""

    id: str
    topic: str
    uri: str
    format: str | None = None
    filter: str | None = None
    include_fields: list[str] | None = None


class AppAccess(_GraphQLModel):
    """Which shop the credentials open and the access scopes the merchant granted the app."""

    shop_name: str
    shop_domain: str
    scopes: frozenset[str]
