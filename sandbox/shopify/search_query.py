"""Shopify's search syntax for the `query:` argument of connections.

Supports `field:value`, the comparators `:<`, `:<=`, `:>`, `:>=`, quoted values, the
`AND` / `OR` / `NOT` keywords and `-field:value` negation. Like Shopify, unknown fields and
bare words are ignored instead of failing the query.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

_TOKEN = re.compile(
    r"""(?P<neg>-)?(?P<field>[A-Za-z_][\w.]*):(?P<op><=|>=|<|>|=)?"""
    r"""(?P<value>'[^']*'|"[^"]*"|[^\s()]*)|(?P<word>'[^']*'|"[^"]*"|[^\s()]+)"""
)


class Kind(Enum):
    """How a filterable field compares values."""

    DATETIME = "datetime"
    INT = "int"
    TEXT = "text"
    BOOL = "bool"
    TAGS = "tags"


@dataclass(frozen=True)
class FilterField:
    """A field the `query:` argument can filter on, and how to read it from a record."""

    kind: Kind
    read: Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Term:
    """One `field:<op>value` condition."""

    field: str
    op: str
    value: str
    negated: bool = False


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: OR-ed groups of AND-ed terms."""

    groups: tuple[tuple[Term, ...], ...]

    def matches(self, record: dict[str, Any], fields: Mapping[str, FilterField], timezone: str) -> bool:
        """Whether `record` satisfies the query; terms on unknown fields always match."""
        if not self.groups:
            return True
        return any(
            all(_term_matches(term, record, fields, timezone) for term in group) for group in self.groups
        )


def parse_search_query(text: str | None) -> SearchQuery:
    """Parse Shopify search syntax into a `SearchQuery` (empty query = match everything)."""
    groups: list[tuple[Term, ...]] = []
    current: list[Term] = []
    negate_next = False
    for match in _TOKEN.finditer(text or ""):
        word = match.group("word")
        if word is not None:
            keyword = word.upper()
            if keyword == "OR":
                groups.append(tuple(current))
                current = []
            negate_next = keyword == "NOT"
            continue  # bare words (full-text search) are not modelled
        op = {None: ":", "=": ":"}.get(match.group("op"), match.group("op"))
        current.append(
            Term(
                field=match.group("field").lower(),
                op=op,
                value=_unquote(match.group("value")),
                negated=bool(match.group("neg")) or negate_next,
            )
        )
        negate_next = False
    groups.append(tuple(current))
    return SearchQuery(tuple(group for group in groups if group))


def parse_timestamp(value: str) -> datetime:
    """Parse a REST/GraphQL ISO 8601 timestamp (with `Z` or an offset) to an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _term_matches(
    term: Term, record: dict[str, Any], fields: Mapping[str, FilterField], timezone: str
) -> bool:
    spec = fields.get(term.field)
    if spec is None:
        return True
    try:
        result = _compare(spec, term, spec.read(record), timezone)
    except ValueError:
        return True  # an unparseable value is ignored like an unknown filter
    return result != term.negated


def _compare(spec: FilterField, term: Term, actual: Any, timezone: str) -> bool:
    if spec.kind is Kind.DATETIME:
        return _compare_datetime(term, actual, timezone)
    if spec.kind is Kind.INT:
        wanted = int(term.value.rsplit("/", 1)[-1])
        return actual is not None and _ordered(term.op, int(actual), wanted)
    if spec.kind is Kind.BOOL:
        if term.value.lower() not in ("true", "false"):
            raise ValueError(term.value)
        return bool(actual) == (term.value.lower() == "true")
    if spec.kind is Kind.TAGS:
        return term.value.lower() in {tag.lower() for tag in actual or ()}
    return _text_matches(term.value, actual)


def _text_matches(pattern: str, actual: Any) -> bool:
    if actual is None:
        return False
    text, pattern = str(actual).lower(), pattern.lower()
    if pattern.endswith("*"):
        return text.startswith(pattern[:-1])
    return text == pattern


def _ordered(op: str, actual: Any, wanted: Any) -> bool:
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        ":": lambda a, b: a == b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    return comparisons[op](actual, wanted)


def _compare_datetime(term: Term, actual: Any, timezone: str) -> bool:
    if actual is None:
        return False
    moment = actual if isinstance(actual, datetime) else parse_timestamp(str(actual))
    start, end = _time_range(term.value, timezone)
    checks: dict[str, Callable[[], bool]] = {
        ":": lambda: start <= moment < end,
        "<": lambda: moment < start,
        "<=": lambda: moment < end,
        ">": lambda: moment >= end,
        ">=": lambda: moment >= start,
    }
    return checks[term.op]()


def _time_range(value: str, timezone: str) -> tuple[datetime, datetime]:
    """The instant range a filter value denotes: a whole shop-local day for a bare date."""
    zone = ZoneInfo(timezone)
    if len(value) == 10:
        day = date.fromisoformat(value)
        start = datetime.combine(day, time(), tzinfo=zone)
        return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    moment = parse_timestamp(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment, moment + timedelta(microseconds=1)
