"""Searching every place shopsync keeps data for a customer who asked to be forgotten.

A needle is one thing that identifies the customer: their email, name, phone, street address, an order id
or order name. Needles that another customer shares (a city, a first name) would be found in that
customer's data and prove nothing, so only the customer's own are searched. Matches are whole tokens, so an
order id inside a longer number is not a hit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect.client.orchestration import SyncPrefectClient
from sqlalchemy import Engine, select

from sandbox.shopify.store import ShopifyStore
from tasks.store.db import metadata


@dataclass
class Search:
    """Every place searched and every leak found (place → needles found there)."""

    needles: list[str]
    places: int = 0
    leaks: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        alternatives = "|".join(re.escape(n) for n in sorted(self.needles, key=len, reverse=True))
        self._pattern = re.compile(rf"(?<![0-9A-Za-z])(?:{alternatives})(?![0-9A-Za-z])", re.IGNORECASE)

    def look(self, place: str, text: str) -> None:
        """Search one place's text and note what was found there."""
        self.places += 1
        found = sorted({match.group(0).lower() for match in self._pattern.finditer(text)})
        if found:
            self.leaks[place] = found


def customer_needles(store: ShopifyStore, customer_id: int) -> list[str]:
    """The customer's identifying values that no other customer's data contains."""
    customer = store.get_customer(customer_id)
    assert customer is not None
    orders = store.customer_orders(customer_id)
    values = {customer["email"], customer["phone"], f"{customer['first_name']} {customer['last_name']}"}
    for order in orders:
        values |= {str(order["id"]), order["name"]}
        for address in (order.get("billing_address"), order.get("shipping_address")):
            if address:
                values.add(address["address1"])
    others = json.dumps([o for o in store.orders() if (o.get("customer") or {}).get("id") != customer_id])
    others_lower = others.lower()
    return sorted(value for value in values if value and not _token_in(value.lower(), others_lower))


def _token_in(needle: str, text: str) -> bool:
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(needle)}(?![0-9A-Za-z])", text) is not None


def search_database(search: Search, engine: Engine) -> None:
    """Every row of every shopsync table."""
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = connection.execute(select(table)).all()
            search.look(f"table {table.name}", "\n".join(repr(tuple(row)) for row in rows))


def search_files(search: Search, folder: Path) -> None:
    """Every file's bytes under `folder` (SQLite database, WAL, report files, data requests)."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            search.look(f"file {path.relative_to(folder)}", path.read_bytes().decode("latin-1"))


def search_prefect(search: Search, client: SyncPrefectClient) -> None:
    """Every artifact (every version), every log line, and every flow run's name and parameters."""
    for artifact in _pages(lambda offset: client.read_artifacts(limit=200, offset=offset)):
        search.look(f"artifact {artifact.key} {artifact.id}", f"{artifact.description}\n{artifact.data}")
    for log in _pages(lambda offset: client.read_logs(limit=200, offset=offset)):
        search.look(f"log {log.id}", log.message)
    for run in _pages(lambda offset: client.read_flow_runs(limit=200, offset=offset)):
        search.look(f"flow run {run.id}", f"{run.name}\n{run.parameters}")


def _pages(read: Any) -> Iterator[Any]:
    offset = 0
    while page := read(offset):
        yield from page
        offset += len(page)


def search_contact(search: Search, properties: dict[str, str | None], names: Iterable[str]) -> None:
    """The shopsync properties of the customer's HubSpot contact."""
    search.look("hubspot contact", "\n".join(f"{name}={properties.get(name)}" for name in names))
