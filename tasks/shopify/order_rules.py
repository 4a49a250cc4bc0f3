"""What a Shopify order must mean before it may enter the ledger: the rules both payload dialects share.

A correctly signed webhook (or a GraphQL reply) can still describe an impossible order: a negative total, a
currency that does not exist, a quantity of a billion. `OrderRecord` types its fields with the constrained
types below, so pydantic checks every record whichever constructor built it (webhook or GraphQL), and
`LineItemFacts` does the same for the line items the record does not keep. `invalid_payload` turns the first
violation into an `InvalidOrderPayload` that names the payload's own field, e.g.
`current_total_price_set.shop_money.amount: must be a non-negative decimal, got '-5.00'`.

Ids (positive int64, never through a float) and instants (ISO 8601 with a UTC offset) are checked while
they are read, by `parsing.int_id` and `parsing.timestamp`, which both constructors share; a rule here would
only repeat them on the hot path. Each rule below is one Python check after pydantic's own (the bulk reader
builds up to a million records).

Records the ledger loads back were checked when they entered, so it validates them with `ALREADY_CHECKED`:
a row stored before a rule existed must still load rather than fail every run that reads its customer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Final, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError

from tasks.errors import InvalidOrderPayload

__all__ = [
    "ALREADY_CHECKED",
    "CURRENCY_CODES",
    "FINANCIAL_STATUSES",
    "MAX_LINE_ITEM_QUANTITY",
    "UNKNOWN_FINANCIAL_STATUS",
    "CurrencyCode",
    "FinancialStatus",
    "LineItemFacts",
    "Money",
    "invalid_payload",
]

# The values of the Admin API's `CurrencyCode` enum (2026-04 schema; a test compares them with the schema the
# sandbox serves). Shop money in any other code is not an amount we can add up.
CURRENCY_CODES: Final = frozenset(
    (
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN "
        "BYR BZD CAD CDF CHF CLP CNY COP CRC CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS "
        "GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JEP JMD JOD JPY KES KGS KHR KID "
        "KMF KRW KWD KYD KZT LAK LBP LKR LRD LSL LTL LVL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK "
        "MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD "
        "SCR SDG SEK SGD SHP SLL SOS SRD SSP STD STN SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX "
        "USD USDC UYU UZS VED VEF VES VND VUV WST XAF XCD XOF XPF XXX YER ZAR ZMW"
    ).split()
)
# `financial_status` as webhooks spell it (GraphQL's `OrderDisplayFinancialStatus`, lowercased).
FINANCIAL_STATUSES: Final = frozenset(
    {"pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided", "expired"}
)
# Shopify can leave the financial status null (some $0 orders); one such order must not fail a whole read.
UNKNOWN_FINANCIAL_STATUS: Final = "unknown"
# Not a Shopify limit: a ceiling far above any real order line, far below what would make a total absurd.
MAX_LINE_ITEM_QUANTITY: Final = 100_000
# Validation context for records loaded from the ledger: checked on the way in, never re-judged.
_CHECKED_KEY: Final = "order_rules_checked"
ALREADY_CHECKED: Final[Mapping[str, bool]] = {_CHECKED_KEY: True}

_Value = TypeVar("_Value")


def _rule(holds: Callable[[Any], bool], message: str) -> AfterValidator:
    """A pydantic check that `holds(value)`, failing with `message`; `ALREADY_CHECKED` records pass."""

    def check(value: _Value, info: ValidationInfo) -> _Value:
        if holds(value) or (info.context is not None and info.context.get(_CHECKED_KEY)):
            return value
        raise PydanticCustomError("order_rule", message)

    return AfterValidator(check)


Money = Annotated[Decimal, _rule(lambda amount: amount >= 0, "must be a non-negative decimal")]
CurrencyCode = Annotated[
    str, _rule(CURRENCY_CODES.__contains__, "must be an ISO 4217 code of Shopify's CurrencyCode enum")
]
FinancialStatus = Annotated[
    str,
    _rule(
        lambda status: status in FINANCIAL_STATUSES or status == UNKNOWN_FINANCIAL_STATUS,
        "must be one of " + ", ".join(sorted(FINANCIAL_STATUSES)) + " (or null)",
    ),
]
Quantity = Annotated[
    int,
    Field(strict=True),
    _rule(
        lambda count: 0 < count <= MAX_LINE_ITEM_QUANTITY,
        f"must be a whole number from 1 to {MAX_LINE_ITEM_QUANTITY:,}",
    ),
]


class LineItemFacts(BaseModel):
    """What must hold of an order's line items: sane quantities and, where the payload has them, sane prices.

    One model per order rather than per line: a bulk export reads a million orders, and one validation call
    per order costs a third of one per line. GraphQL reads select `quantity` but not prices (a price set
    costs 2 query points per line item, which would nearly halve the orders per page), so their prices are
    None; the order totals are checked in both dialects.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    quantity: tuple[Quantity, ...]
    price: tuple[Money | None, ...]


def invalid_payload(
    error: ValidationError, sources: Mapping[str, str], prefix: str = ""
) -> InvalidOrderPayload:
    """The first rule `error` reports, as `<payload field>: <rule>, got <value>`.

    Args:
        error: What pydantic found while building a record (or a line item's facts).
        sources: Record field → the payload path it was read from, in the payload's own dialect.
        prefix: Prepended to a field `sources` does not name (e.g. `line_items[3].`).
    """
    first = error.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"])
    where = sources.get(field, prefix + field)
    return InvalidOrderPayload(f"{where}: {first['msg']}, got {_shown(first['input'])}", field=where)


def _shown(value: object) -> str:
    """The offending value as the payload spelled it: a Decimal as its string, anything else as its repr."""
    return repr(str(value)) if isinstance(value, Decimal | datetime) else repr(value)
