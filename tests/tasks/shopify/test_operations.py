"""Every GraphQL document the Shopify client sends validates against the pinned Admin API 2026-04 schema."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from graphql import (
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_schema,
    parse,
    validate,
    visit,
)
from graphql.language import ArgumentNode, DocumentNode, EnumValueNode, FieldNode

from tasks.shopify import operations

SDL_PATH = Path(__file__).resolve().parents[3] / "sandbox" / "shopify" / "admin-2026-04.graphql.gz"
DOCUMENTS = operations.sent_documents()


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    """The real schema, built once per module (about 1.4 s)."""
    sdl = gzip.decompress(SDL_PATH.read_bytes()).decode()
    # graphql-core 3.3 rejects Shopify's schema without assume_valid (deprecated-interface rule).
    return build_schema(sdl, assume_valid=True)


class _DeprecationCollector(Visitor):
    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.found: list[str] = []

    def enter_field(self, node: FieldNode, *_: object) -> None:
        field = self.type_info.get_field_def()
        parent = self.type_info.get_parent_type()
        if field is not None and field.deprecation_reason is not None:
            self.found.append(f"{parent}.{node.name.value}: {field.deprecation_reason}")

    def enter_argument(self, node: ArgumentNode, *_: object) -> None:
        argument = self.type_info.get_argument()
        if argument is not None and argument.deprecation_reason is not None:
            self.found.append(f"argument {node.name.value}: {argument.deprecation_reason}")

    def enter_enum_value(self, node: EnumValueNode, *_: object) -> None:
        enum_value = self.type_info.get_enum_value()
        if enum_value is not None and enum_value.deprecation_reason is not None:
            self.found.append(f"enum value {node.value}: {enum_value.deprecation_reason}")


def deprecated_usages(schema: GraphQLSchema, document: DocumentNode) -> list[str]:
    """Fields, arguments and enum values the document uses that the schema marks deprecated."""
    type_info = TypeInfo(schema)
    collector = _DeprecationCollector(type_info)
    visit(document, TypeInfoVisitor(type_info, collector))
    return collector.found


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_validates_against_admin_schema(schema: GraphQLSchema, name: str) -> None:
    """The document has no validation errors against the 2026-04 Admin API schema."""
    errors = validate(schema, parse(DOCUMENTS[name]))
    assert [error.message for error in errors] == []


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_uses_no_deprecated_fields(schema: GraphQLSchema, name: str) -> None:
    """The document selects no deprecated field, argument or enum value (they disappear in later versions)."""
    assert deprecated_usages(schema, parse(DOCUMENTS[name])) == []


def test_deprecation_check_catches_a_deprecated_field(schema: GraphQLSchema) -> None:
    """The deprecation check flags Customer.email, so a clean result above means something."""
    document = parse("query { customers(first: 1) { nodes { id email } } }")
    assert validate(schema, document) == []
    assert deprecated_usages(schema, document) == [
        "Customer.email: Use `defaultEmailAddress.emailAddress` instead."
    ]


def test_bulk_query_is_a_valid_query_with_the_window_inlined(schema: GraphQLSchema) -> None:
    """The bulk export query carries the since-filter as a literal and selects line items' products."""
    since = datetime(2026, 11, 1, 6, 30, tzinfo=timezone(timedelta(hours=-5)))
    document = operations.bulk_orders_query(since)
    assert validate(schema, parse(document)) == []
    assert "updated_at:>='2026-11-01T11:30:00Z'" in document


def test_orders_search_query_bounds_the_window() -> None:
    """`since` is inclusive, `until` exclusive, both rendered in UTC; no bounds means no filter."""
    since = datetime(2026, 11, 1, tzinfo=UTC)
    until = datetime(2026, 11, 2, 1, 0, tzinfo=timezone(timedelta(hours=1)))
    assert operations.orders_search_query(since, until) == (
        "updated_at:>='2026-11-01T00:00:00Z' AND updated_at:<'2026-11-02T00:00:00Z'"
    )
    assert operations.orders_search_query(None, until) == "updated_at:<'2026-11-02T00:00:00Z'"
    assert operations.orders_search_query(None, None) is None


def test_orders_search_query_rejects_naive_bounds() -> None:
    """A naive bound is an error instead of a window shifted by the machine's timezone."""
    with pytest.raises(ValueError, match="timezone-aware"):
        operations.orders_search_query(datetime(2026, 11, 1), None)
