"""Recognising a customer in text and tables, so reports and artifacts can drop what names them.

A line or row "names" the customer when it contains one of their identifiers as a whole token: the customer
id, a contact id, an order id or name, the email or the phone. Whole tokens, because ids are digits and one
customer's id may be a substring of another number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


class Mentions:
    """Whether a text names any of the given identifiers (case-insensitive, whole tokens only)."""

    def __init__(self, identifiers: Iterable[str]) -> None:
        terms = sorted({term.strip() for term in identifiers if term and term.strip()}, key=len, reverse=True)
        alternatives = "|".join(re.escape(term) for term in terms)
        token = rf"(?<![0-9A-Za-z])(?:{alternatives})(?![0-9A-Za-z])"
        self._pattern = re.compile(token, re.IGNORECASE) if terms else None

    def __call__(self, value: object) -> bool:
        """True when `value` (as text) names one of the identifiers."""
        return self._pattern is not None and value is not None and bool(self._pattern.search(str(value)))

    def row(self, row: Mapping[str, Any]) -> bool:
        """True when any cell of a table row names one of the identifiers."""
        return any(self(value) for value in row.values())


def drop_lines(text: str, mentions: Mentions) -> tuple[str, int]:
    """The text without the lines that name the customer, and how many lines went."""
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if not mentions(line)]
    return "".join(kept), len(lines) - len(kept)


def drop_rows(rows: Sequence[Mapping[str, Any]], mentions: Mentions) -> tuple[list[Mapping[str, Any]], int]:
    """The rows that do not name the customer, and how many went."""
    kept = [row for row in rows if not mentions.row(row)]
    return kept, len(rows) - len(kept)
