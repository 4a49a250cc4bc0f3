"""Money for generated orders: amounts kept in shop and presentment currency side by side.

Each side is summed on its own (never re-converted from the other side's total), so every `*_set` in a payload
adds up exactly within its currency, like Shopify's do.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
TAX_RATE = Decimal("0.08")

# Fixed demo exchange rates (1 unit of shop currency USD in presentment currency); fixed so seeds are stable.
PRESENTMENT_RATES: dict[str, Decimal] = {"USD": Decimal("1"), "EUR": Decimal("0.92"), "GBP": Decimal("0.79")}


def cents(value: Decimal) -> Decimal:
    """Round half up to two decimal places, the way prices are shown."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class MoneyPair:
    """One amount in shop money and in presentment (buyer) money."""

    shop: Decimal
    presentment: Decimal

    @classmethod
    def zero(cls) -> MoneyPair:
        """Nothing, in both currencies."""
        return cls(Decimal("0.00"), Decimal("0.00"))

    @classmethod
    def from_shop(cls, amount: Decimal, presentment_currency: str) -> MoneyPair:
        """Convert a shop-currency amount at the fixed demo rate."""
        return cls(cents(amount), cents(amount * PRESENTMENT_RATES[presentment_currency]))

    def __add__(self, other: MoneyPair) -> MoneyPair:
        return MoneyPair(self.shop + other.shop, self.presentment + other.presentment)

    def __sub__(self, other: MoneyPair) -> MoneyPair:
        return MoneyPair(self.shop - other.shop, self.presentment - other.presentment)

    def times(self, quantity: int) -> MoneyPair:
        """This amount multiplied by a quantity, in both currencies."""
        return MoneyPair(self.shop * quantity, self.presentment * quantity)

    def tax(self) -> MoneyPair:
        """Sales tax on this amount, rounded per currency."""
        return MoneyPair(cents(self.shop * TAX_RATE), cents(self.presentment * TAX_RATE))

    def share(self, fraction: Decimal) -> MoneyPair:
        """A rounded fraction of this amount (e.g. a 10 % discount), in both currencies."""
        return MoneyPair(cents(self.shop * fraction), cents(self.presentment * fraction))


def money_str(amount: Decimal) -> str:
    """A Shopify REST money string: always two decimals, e.g. "404.95"."""
    return f"{cents(amount):.2f}"


def money_set(pair: MoneyPair, shop_currency: str, presentment_currency: str) -> dict[str, Any]:
    """A REST `*_set` object: `{"shop_money": {...}, "presentment_money": {...}}`."""
    return {
        "shop_money": {"amount": money_str(pair.shop), "currency_code": shop_currency},
        "presentment_money": {"amount": money_str(pair.presentment), "currency_code": presentment_currency},
    }
