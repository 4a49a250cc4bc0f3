"""write_under_leases: a contact is planned and written only while its customer's lease is held."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tasks.contacts.diff import ContactDiff, combine_diffs, diff_contacts
from tasks.contacts.leased import ContactLeaseTimeout, Grant, LeaseHolder, write_under_leases
from tasks.contacts.writer import ContactOutcome, WriteReport
from tasks.rules.frames import CONTACTS_SCHEMA
from tasks.store.contact_leases import ContactLeases
from tasks.store.db import create_schema, make_engine
from tests.tasks.contacts.test_diff import expected

NIGHTLY = LeaseHolder("nightly", patience=5.0)


@pytest.fixture
def leases(tmp_path: Path) -> ContactLeases:
    engine = make_engine(f"sqlite:///{tmp_path / 'leases.db'}")
    create_schema(engine)
    return ContactLeases(engine, lease_seconds=60.0)


def creates(customer_ids: Sequence[int]) -> ContactDiff:
    """A diff that creates a contact for each customer."""
    rows = [{"customer_id": c, "email": f"c{c}@example.com"} for c in customer_ids]
    return diff_contacts(expected(*rows), CONTACTS_SCHEMA.to_frame(), orphan_policy="reset")


class Recorder:
    """A plan and a write that remember what they saw, and who held each customer's lease meanwhile."""

    def __init__(self, leases: ContactLeases) -> None:
        self.leases = leases
        self.planned: list[list[int]] = []
        self.written: list[list[int]] = []

    def plan(self, grants: Sequence[Grant]) -> ContactDiff:
        customers = [grant.customer_id for grant in grants]
        # Held by us: nobody else may have them while we plan.
        assert self.leases.acquire(customers, "realtime") == []
        self.planned.append(customers)
        return creates(customers)

    def write(self, diff: ContactDiff) -> WriteReport:
        customers = sorted(diff.customer_ids())
        self.written.append(customers)
        return WriteReport([ContactOutcome(c, str(c), "created") for c in customers])


def test_customers_are_planned_and_written_under_their_lease_then_released(leases: ContactLeases) -> None:
    """Everything is planned and written while leased, and every lease is given back afterwards."""
    recorder = Recorder(leases)

    report = write_under_leases([3, 1, 2, 1], leases, NIGHTLY, recorder.plan, recorder.write)

    assert recorder.planned == recorder.written == [[1, 2, 3]]
    assert report.count("created") == 3
    assert [grant.customer_id for grant in leases.acquire([1, 2, 3], "realtime")] == [1, 2, 3]


def test_a_customer_leased_by_another_writer_waits_for_it(leases: ContactLeases) -> None:
    """The free customers go first; the busy one is planned only after its holder lets go."""
    leases.acquire([2], "realtime")
    recorder = Recorder(leases)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            leases.release([2], "realtime")

    write_under_leases([1, 2, 3], leases, NIGHTLY, recorder.plan, recorder.write, sleep=sleep)

    assert recorder.written == [[1, 3], [2]]
    assert len(waits) == 3 and waits == sorted(waits)


def test_a_lease_lost_while_planning_is_not_written(leases: ContactLeases) -> None:
    """If another writer took a customer over (we stalled past the lease), our write leaves it alone."""
    recorder = Recorder(leases)

    def plan(grants: Sequence[Grant]) -> ContactDiff:
        diff = recorder.plan(grants)
        leases.release([2], "nightly")
        leases.acquire([2], "realtime")
        return diff

    write_under_leases([1, 2], leases, NIGHTLY, plan, recorder.write)

    assert recorder.written == [[1]]
    assert leases.acquire([2], "other") == []


def test_leases_are_given_back_when_the_write_fails(leases: ContactLeases) -> None:
    """A failing write still releases its customers, so the next run is not kept waiting."""

    def fail(diff: ContactDiff) -> WriteReport:
        raise RuntimeError("HubSpot is down")

    with pytest.raises(RuntimeError):
        write_under_leases([1, 2], leases, NIGHTLY, Recorder(leases).plan, fail)

    assert len(leases.acquire([1, 2], "realtime")) == 2


def test_a_lease_held_too_long_by_someone_else_is_an_error(leases: ContactLeases) -> None:
    """Past the holder's patience the loop gives up, naming how many customers it could not get."""
    leases.acquire([7], "stuck")
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    recorder = Recorder(leases)

    with pytest.raises(ContactLeaseTimeout, match="1 customers stayed leased"):
        write_under_leases(
            [7], leases, NIGHTLY, recorder.plan, recorder.write, sleep=sleep, clock=lambda: now[0]
        )
    assert recorder.planned == []


def test_a_part_of_a_diff_and_parts_combined() -> None:
    """`only` keeps one customer's rows; combining parts gives the rows of all of them back."""
    diff = creates([1, 2, 3])

    parts = [diff.only([1, 3]), diff.only([2])]

    assert parts[0].customer_ids() == {1, 3}
    assert combine_diffs(parts).customer_ids() == {1, 2, 3}
    assert combine_diffs(parts).creates.height == 3
