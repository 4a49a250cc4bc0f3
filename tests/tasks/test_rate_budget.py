"""Shared API budgets live on the Prefect server and are enforced strictly."""

from __future__ import annotations

import pytest
from prefect.client.orchestration import get_client

from tasks.rate_budget import BUDGETS, BudgetedPacer, RateBudget, ensure_budgets

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_setup_creates_each_budget_once_and_then_updates_it() -> None:
    """A second setup updates the budgets instead of failing or duplicating them."""
    first = ensure_budgets()
    second = ensure_budgets()
    assert set(first) == {budget.name for budget in BUDGETS}
    assert set(second.values()) == {"updated"}
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name("hubspot-requests")
    assert (limit.limit, limit.slot_decay_per_second) == (185, 18.5)


def test_a_request_takes_a_slot_from_the_shared_budget() -> None:
    """Each paced request occupies one slot of the server-side budget other processes see too."""
    budget = RateBudget("test-budget-slots", limit=50, per_second=0.01)
    ensure_budgets((budget,))
    pacer = BudgetedPacer(budget, max_requests=100, per_seconds=10.0)
    for _ in range(3):
        pacer.acquire()
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(budget.name)
    assert limit.active_slots >= 2  # three taken, a fraction decayed since


def test_a_missing_budget_is_an_error_not_a_silent_no_op() -> None:
    """strict=True: a typo in a budget name fails the request instead of limiting nothing."""
    pacer = BudgetedPacer(RateBudget("no-such-budget", 1, 1.0), max_requests=10, per_seconds=1.0)
    with pytest.raises(Exception, match="no-such-budget"):
        pacer.acquire()
