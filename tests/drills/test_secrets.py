"""Drill 6, fast part — secrets and PII: recognisable secret values never leave the process that uses them.

Load: the whole seeded store as orders/paid plus 10 refunds/create, synced through the real flow while
HubSpot answers 20 % of requests with faults (so error and retry paths log too), then one run that fails on a
persistent HubSpot outage (its traceback is stored), with recognisable values for the Shopify token, the
HubSpot token and the webhook signing secret. Searched afterwards: every log record of the process (DEBUG and
up), the Prefect server's database (flow-run parameters, logs, artifacts, events, states), Prefect's result
storage, the shopsync data folder and the inbox database. Expected: no secret anywhere, and flow-run
parameters that hold no customer data. (The slow drill in test_prefect_outage.py repeats the search over a
whole process stack's log files.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, PREFECT_SERVER_DATABASE_CONNECTION_URL

from flows.sync_orders import sync_shopify_orders
from sandbox.hubspot.config import HubSpotSandboxConfig
from sandbox.shopify.config import ShopifySandboxConfig
from tasks.hubspot import protocol
from tests.drills.api_faults import HUBSPOT_FAULTS, deliver_orders_and_refunds, faulty_world, put_faults
from tests.drills.leaks import (
    HUBSPOT_TOKEN,
    SHOPIFY_TOKEN,
    files_containing,
    parameter_leaks,
    personal_values,
)
from tests.flows.world import WEBHOOK_SECRET, World

pytestmark = pytest.mark.usefixtures("prefect_harness")

SECRETS = (SHOPIFY_TOKEN, HUBSPOT_TOKEN, WEBHOOK_SECRET)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    # HubSpot's waits (10 s after a 429, 2 s after a 423) compressed: this drill is about what gets written.
    monkeypatch.setattr(protocol, "ROLLING_WINDOW_SECONDS", 0.05)
    monkeypatch.setattr(protocol, "LOCK_WAIT_SECONDS", 0.05)
    shopify = ShopifySandboxConfig(access_token=SHOPIFY_TOKEN)
    hubspot = HubSpotSandboxConfig(access_token=HUBSPOT_TOKEN)
    with faulty_world(tmp_path, monkeypatch, shopify, hubspot) as built:
        yield built


def test_no_secret_reaches_logs_prefect_or_disk(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """After syncs with retries and a failed run, no secret is in any log, Prefect record or file."""
    caplog.set_level(logging.DEBUG)
    deliver_orders_and_refunds(world, refunds=10, every=10)
    put_faults(world.sandbox.hubspot_base_url, HUBSPOT_FAULTS)
    sync_shopify_orders(batch_size=25)
    world.deliver("orders/paid", world.sandbox.seed.orders[1]["id"], "secrets-after-outage")
    put_faults(world.sandbox.hubspot_base_url, {"error_rates": {"423": 1.0}, "paths": "/contacts/batch/"})
    assert sync_shopify_orders(return_state=True).is_failed()

    assert [r.getMessage() for r in caplog.records if any(s in r.getMessage() for s in SECRETS)] == []
    prefect_db = Path(PREFECT_SERVER_DATABASE_CONNECTION_URL.value().split("///", 1)[1]).parent
    for folder in (prefect_db, PREFECT_LOCAL_STORAGE_PATH.value(), tmp_path):
        assert files_containing(Path(folder), SECRETS) == {}, folder


def test_flow_run_parameters_carry_no_customer_data(world: World) -> None:
    """Every flow run's parameters are ids and settings: no email, name, phone or payload of a customer."""
    deliver_orders_and_refunds(world, refunds=0, every=10)
    sync_shopify_orders()

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs()

    assert runs
    assert parameter_leaks(runs, personal_values(world.sandbox.seed)) == []
