"""Contact leases: one writer per customer at a time, and marks that tell a snapshot what changed since."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tasks.store.contact_leases import ContactLeases
from tasks.store.ledger import Ledger
from tests.tasks.store.db_backends import BACKENDS, open_engine
from tests.tasks.store.test_inbox import Clock
from tests.tasks.store.test_ledger import order

LEASE_SECONDS = 60.0


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path):
    yield from open_engine(request.param, tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def leases(engine: Engine, clock: Clock) -> ContactLeases:
    return ContactLeases(engine, LEASE_SECONDS, clock)


def test_a_leased_customer_is_not_granted_to_another_writer(leases: ContactLeases) -> None:
    """While one writer holds a customer, another gets only the others; after release it gets it too."""
    assert [g.customer_id for g in leases.acquire([1, 2], "nightly")] == [1, 2]

    assert [g.customer_id for g in leases.acquire([2, 3], "realtime")] == [3]

    leases.release([2], "nightly")
    assert [g.customer_id for g in leases.acquire([2], "realtime")] == [2]


def test_a_release_by_someone_else_changes_nothing(leases: ContactLeases) -> None:
    """Only the holder can give a lease up."""
    leases.acquire([7], "nightly")

    leases.release([7], "realtime")

    assert leases.acquire([7], "realtime") == []


def test_a_crashed_holders_lease_is_taken_over_once_it_expires(leases: ContactLeases, clock: Clock) -> None:
    """An expired lease goes to the next writer; it counts as a release (the crashed one may have written)."""
    leases.acquire([5], "crashed")
    before = leases.sequence()
    clock.advance(LEASE_SECONDS - 1)
    assert leases.acquire([5], "realtime") == []

    clock.advance(2)
    [grant] = leases.acquire([5], "realtime")

    assert grant.released_seq > before
    assert leases.renew([5], "crashed") == set()
    assert leases.renew([5], "realtime") == {5}


def test_renewal_keeps_a_slow_holders_lease(leases: ContactLeases, clock: Clock) -> None:
    """A holder that renews before each write keeps its lease however long the run takes."""
    leases.acquire([5], "nightly")
    for _ in range(3):
        clock.advance(LEASE_SECONDS - 1)
        assert leases.renew([5], "nightly") == {5}

    assert leases.acquire([5], "realtime") == []


def test_ledger_changes_mark_customers_and_previous_owners(engine: Engine, leases: ContactLeases) -> None:
    """An upsert marks its customers changed; an order moved to another customer marks both; a stale
    version marks nobody."""
    ledger = Ledger(engine)
    ledger.upsert([order(1, customer_id=10), order(2, customer_id=20)])
    snapshot = leases.sequence()

    ledger.upsert([order(1, minutes=5, customer_id=30)])
    ledger.upsert([order(2, minutes=-5, customer_id=20)])

    assert leases.touched_since(snapshot, leases.sequence()) == [10, 30]


def test_a_grant_says_what_changed_since_a_snapshot(engine: Engine, leases: ContactLeases) -> None:
    """After a snapshot, a ledger change or another writer's release shows on the next grant."""
    ledger = Ledger(engine)
    ledger.upsert([order(1, customer_id=10), order(2, customer_id=20), order(3, customer_id=30)])
    ledger_seq = contacts_seq = leases.sequence()

    ledger.upsert([order(1, minutes=5, customer_id=10)])
    leases.acquire([20], "realtime")
    leases.release([20], "realtime")

    grants = {grant.customer_id: grant for grant in leases.acquire([10, 20, 30], "nightly")}
    assert [c for c, grant in grants.items() if grant.touched_since(ledger_seq, contacts_seq)] == [10, 20]


def test_touched_since_includes_leases_still_held(leases: ContactLeases) -> None:
    """A lease held now means a write may land any moment: the customer counts as touched."""
    seq = leases.sequence()
    leases.acquire([4, 8], "realtime")

    assert leases.touched_since(seq, seq) == [4, 8]
    assert leases.touched_since(seq, seq, customer_ids=[8, 9]) == [8]


def test_many_customers_are_leased_in_one_call(leases: ContactLeases) -> None:
    """More customers than one statement holds are granted, renewed and released."""
    customers = list(range(1, 2_501))

    assert len(leases.acquire(customers, "nightly")) == 2_500
    assert leases.renew(customers, "nightly") == set(customers)
    leases.release(customers, "nightly")

    assert len(leases.acquire(customers, "realtime")) == 2_500
