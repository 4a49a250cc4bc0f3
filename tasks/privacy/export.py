"""`customers/data_request`: what shopsync holds about one customer, as a report for the store owner.

The store owner answers the customer; shopsync's part is to list its own copies: the orders in its ledger,
the webhook deliveries that carried them, and the HubSpot properties it wrote (read live from HubSpot). The
report is the one place shopsync shows personal data on purpose; a later redaction of the customer deletes
the file and the artifact.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tasks.hubspot.models import Contact
from tasks.privacy.report_files import data_request_path
from tasks.privacy.requests import CustomerRequest
from tasks.shopify.models import OrderRecord
from tasks.store.erasure import CustomerHoldings
from tasks.store.inbox import Delivery


def data_request_markdown(
    request: CustomerRequest,
    holdings: CustomerHoldings,
    contacts: list[Contact],
    prepared_at: datetime,
) -> str:
    """The report: a heading, then one table per kind of data (an empty kind says "none")."""
    heading = f"data request {request.data_request_id}" if request.data_request_id is not None else "request"
    lines = [
        f"# Customer data held by shopsync ({heading})",
        "",
        f"Shopify customer {request.customer_id}, prepared {prepared_at.isoformat(timespec='seconds')}.",
        "This report shows personal data on purpose, for the store owner to answer the customer; a",
        "`customers/redact` for this customer deletes it.",
        "",
        f"## Orders in shopsync's ledger ({len(holdings.orders)})",
        "",
        *_orders_table(holdings.orders),
        "",
        f"## Webhook deliveries that carried their data ({len(holdings.deliveries)})",
        "",
        *_deliveries_table(holdings.deliveries),
        "",
        f"## HubSpot properties shopsync wrote ({len(contacts)} contact)",
        "",
        *_contacts_table(contacts),
    ]
    return "\n".join(lines) + "\n"


def write_data_request(data_dir: Path, request: CustomerRequest, markdown: str) -> Path:
    """Save the report in the data folder; returns its path."""
    path = data_request_path(data_dir, request.customer_id, request.data_request_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown, encoding="utf-8")
    return path


def _orders_table(orders: list[OrderRecord]) -> list[str]:
    if not orders:
        return ["None."]
    rows = [
        "| order id | name | email | processed at | financial status | total | currency | cancelled | test |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    rows += [
        f"| {o.order_id} | {o.name} | {o.email or ''} | {o.processed_at.isoformat()} | {o.financial_status} "
        f"| {o.current_total} | {o.currency} | {o.cancelled} | {o.test} |"
        for o in orders
    ]
    return rows


def _deliveries_table(deliveries: list[Delivery]) -> list[str]:
    if not deliveries:
        return ["None."]
    rows = ["| webhook id | topic | received at | status | order id |", "| --- | --- | --- | --- | --- |"]
    rows += [
        f"| {d.webhook_id} | {d.topic} | {d.received_at.isoformat()} | {d.status} | {d.order_id or ''} |"
        for d in deliveries
    ]
    return rows


def _contacts_table(contacts: list[Contact]) -> list[str]:
    written = [(c.id, name, value) for c in contacts for name, value in sorted(c.properties.items()) if value]
    if not written:
        return ["None."]
    rows = ["| contact | property | value |", "| --- | --- | --- |"]
    rows += [f"| {contact_id} | {name} | {value} |" for contact_id, name, value in written]
    return rows
