"""Where secrets and customer data must not turn up, and how the drills look for them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from prefect.client.schemas.objects import FlowRun

from sandbox.seed import SeedData

SHOPIFY_TOKEN = "drill-secret-shopify-token-5a1b7e"
HUBSPOT_TOKEN = "drill-secret-hubspot-token-9c2d4f"


def files_containing(folder: Path, needles: Iterable[str]) -> dict[str, list[str]]:
    """Every file under `folder` whose bytes contain one of `needles` (SQLite files and WAL included)."""
    wanted = list(needles)
    found: dict[str, list[str]] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            hits = [needle for needle in wanted if needle.encode() in content]
            if hits:
                found[str(path)] = hits
    return found


def personal_values(seed: SeedData) -> set[str]:
    """Every customer's email, names and phone, lowercased."""
    return {
        str(value).lower()
        for customer in seed.customers
        for value in (customer["email"], customer["first_name"], customer["last_name"], customer["phone"])
        if value
    }


def parameter_leaks(runs: Iterable[FlowRun], personal: set[str]) -> list[str]:
    """Flow runs whose parameters hold customer data or anything but ids and settings."""
    leaks = []
    for run in runs:
        text = repr(run.parameters).lower()
        if any(value in text for value in personal) or not all(
            map(_is_id_or_setting, run.parameters.values())
        ):
            leaks.append(f"{run.name}: {run.parameters}")
    return leaks


def _is_id_or_setting(value: object) -> bool:
    """A scalar, or a list of ids: never an object such as an order or a customer."""
    if isinstance(value, list):
        return all(isinstance(item, int | str) for item in value)
    return value is None or isinstance(value, int | float | str | bool)
