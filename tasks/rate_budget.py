"""Shared API budgets: Prefect global concurrency limits with slot decay, used as rate limits.

Every process and worker that calls an API takes a slot from the same server-side budget, so several
concurrent runs together stay under HubSpot's and Shopify's limits. The in-process pacers stay the
fine-grained layer (they know the exact rolling window); these budgets are the ceiling across processes.
`shopsync setup` creates them; `strict=True` makes a missing budget an error instead of a silent no-op.
"""

from __future__ import annotations

from dataclasses import dataclass

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from prefect.concurrency.sync import rate_limit
from prefect.exceptions import ObjectNotFound

from tasks.hubspot.pacing import Pacer


@dataclass(frozen=True)
class RateBudget:
    """One named budget: `limit` slots that free up at `per_second`."""

    name: str
    limit: int
    per_second: float


# 185 of HubSpot's 190 per 10 s: the same headroom as the in-process pacer (see PACING_HEADROOM).
HUBSPOT_WRITE = RateBudget("hubspot-requests", limit=185, per_second=18.5)
HUBSPOT_SEARCH = RateBudget("hubspot-search", limit=4, per_second=4.0)
SHOPIFY_API = RateBudget("shopify-requests", limit=40, per_second=20.0)
BUDGETS = (HUBSPOT_WRITE, HUBSPOT_SEARCH, SHOPIFY_API)


def ensure_budgets(budgets: tuple[RateBudget, ...] = BUDGETS) -> dict[str, str]:
    """Create or update each budget on the Prefect server; returns name → "created" | "updated"."""
    outcome: dict[str, str] = {}
    with get_client(sync_client=True) as client:
        for budget in budgets:
            try:
                client.read_global_concurrency_limit_by_name(budget.name)
            except ObjectNotFound:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(
                        name=budget.name, limit=budget.limit, slot_decay_per_second=budget.per_second
                    )
                )
                outcome[budget.name] = "created"
                continue
            client.update_global_concurrency_limit(
                budget.name,
                GlobalConcurrencyLimitUpdate(limit=budget.limit, slot_decay_per_second=budget.per_second),
            )
            outcome[budget.name] = "updated"
    return outcome


class BudgetedPacer(Pacer):
    """The in-process rolling-window pacer, plus one slot of a shared Prefect budget per request."""

    def __init__(self, budget: RateBudget, max_requests: int, per_seconds: float) -> None:
        super().__init__(max_requests, per_seconds)
        self.budget = budget

    def acquire(self) -> float:
        waited = super().acquire()
        rate_limit(self.budget.name, occupy=1, strict=True)
        return waited
