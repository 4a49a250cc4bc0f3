"""Run requests: a burst of deliveries maps to one keyed, delayed run; Prefect being down loses nothing."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.receiver.app import WEBHOOK_PATH, create_receiver_app
from deployments.receiver.run_trigger import PrefectRunTrigger, SyncWindow, sync_window
from tasks.store.db import create_schema, make_engine
from tasks.store.inbox import Inbox
from tests.deployments.receiver.signed_deliveries import (
    ORDER_BODY,
    TestClient,
    receiver_settings,
    shopify_headers,
)

NOON = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)  # 1775044800 s after the epoch, a multiple of 2


def test_every_delivery_of_a_window_maps_to_one_run() -> None:
    """Deliveries in [k*W, (k+1)*W) share key shopify-sync:k and a start time at the window's end."""
    expected = SyncWindow(index=887_522_400, closes_at=NOON + timedelta(seconds=2))

    windows = {
        sync_window(NOON + timedelta(microseconds=offset), window_seconds=2.0)
        for offset in (0, 1, 999_999, 1_999_999)
    }

    assert windows == {expected}
    assert expected.idempotency_key == "shopify-sync:887522400"


def test_a_delivery_on_the_boundary_opens_the_next_window() -> None:
    """The window end is exclusive: a delivery exactly at (k+1)*W belongs to window k+1."""
    window = sync_window(NOON + timedelta(seconds=2), window_seconds=2.0)

    assert (window.index, window.closes_at) == (887_522_401, NOON + timedelta(seconds=4))


def test_fractional_windows_have_exact_boundaries() -> None:
    """With W = 0.1 s, 12:00:00.3 starts window 3 of that second (float division would say 2.999...)."""
    window = sync_window(NOON + timedelta(milliseconds=300), window_seconds=0.1)

    assert window.index == 17_750_448_003
    assert window.closes_at == NOON + timedelta(milliseconds=400)


def test_the_window_does_not_depend_on_the_time_zone() -> None:
    """The same instant written with another UTC offset falls in the same window."""
    eastern = NOON.astimezone(timezone(timedelta(hours=-4)))

    assert sync_window(eastern, 2.0) == sync_window(NOON, 2.0)


def test_naive_times_are_refused() -> None:
    """A naive time has no instant, so it cannot be put in a window."""
    with pytest.raises(ValueError, match="timezone-aware"):
        sync_window(datetime(2026, 4, 1, 12, 0), 2.0)


def closed_port() -> int:
    """A loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_prefect_leaves_the_delivery_safe_in_the_inbox(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With Prefect down, Shopify still gets 200, the delivery stays pending, and the failure is logged."""
    engine = make_engine(f"sqlite:///{tmp_path / 'receiver.db'}")
    create_schema(engine)
    inbox = Inbox(engine)
    with temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{closed_port()}/api"}):
        trigger = PrefectRunTrigger(request_timeout=0.5)
    app = create_receiver_app(receiver_settings(), inbox, trigger)

    with caplog.at_level(logging.WARNING, logger="shopsync.run_trigger"):
        response = TestClient(app).post(WEBHOOK_PATH, content=ORDER_BODY, headers=shopify_headers(ORDER_BODY))
        trigger.close()

    assert response.json()["status"] == "accepted"
    assert inbox.pending_count() == 1
    warnings_logged = [
        record.getMessage() for record in caplog.records if record.name == "shopsync.run_trigger"
    ]
    assert len(warnings_logged) == 1 and "shopify-sync:" in warnings_logged[0]
    engine.dispose()
