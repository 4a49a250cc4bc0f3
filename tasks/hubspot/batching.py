"""Batch writes where one bad record never fails the batch.

HubSpot rejects a whole batch for one invalid value (400) or one existing email (409 on create), naming at
most one culprit (api-facts B3). `write_batch` sends chunks of at most 100 and bisects a rejected chunk until
the bad inputs stand alone, so every good input is written and every bad one comes back with HubSpot's reason.
With k bad inputs in n, that costs at most about 2·k·log2(n) extra requests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from tasks.errors import HubSpotRequestFailed, HubSpotUpsertFailed
from tasks.hubspot.client import HubSpotClient, Properties
from tasks.hubspot.models import BatchError, BatchResult, Contact, ContactCreate
from tasks.hubspot.protocol import MAX_BATCH_INPUTS, existing_contact_id

_logger = logging.getLogger(__name__)

InputT = TypeVar("InputT")

# 400: a value HubSpot refuses; 409: an existing email in a create. Both blame single inputs.
_BISECT_STATUSES = frozenset({400, 409})


@dataclass(frozen=True)
class Rejected(Generic[InputT]):
    """An input HubSpot refused, with its reason; `existing_id` is set when the contact already exists."""

    input: InputT
    reason: str
    category: str | None = None
    existing_id: str | None = None


@dataclass
class WriteOutcome(Generic[InputT]):
    """What a batch write did: the contacts HubSpot returned, and each refused input with its reason."""

    written: list[Contact] = field(default_factory=list)
    rejected: list[Rejected[InputT]] = field(default_factory=list)


@dataclass(frozen=True)
class _Writer(Generic[InputT]):
    write: Callable[[Sequence[InputT]], BatchResult[Any]]
    key: Callable[[InputT], str]
    resend_safe: bool


def write_batch(
    write: Callable[[Sequence[InputT]], BatchResult[Any]],
    inputs: Sequence[InputT],
    *,
    key: Callable[[InputT], str],
    resend_safe: bool = True,
    chunk_size: int = MAX_BATCH_INPUTS,
) -> WriteOutcome[InputT]:
    """Write `inputs` in chunks, isolating the inputs HubSpot rejects.

    Args:
        write: One batch call, e.g. `client.batch_update`.
        inputs: Everything to write.
        key: The value HubSpot uses to name an input in a 207 error's `context` (record id, trace id).
        resend_safe: Whether resending an already-written input is harmless (update/upsert: yes; create: no).
        chunk_size: Inputs per request, at most 100.

    Returns:
        The written contacts (once each, by id) and the rejected inputs with reasons.

    Raises:
        HubSpotRequestFailed: For errors that are not about single inputs (401, 403, 5xx after retries, ...).
        HubSpotUpsertFailed: When a 207 names errors that no input matches and resending is unsafe.
    """
    writer = _Writer(write, key, resend_safe)
    outcome: WriteOutcome[InputT] = WriteOutcome()
    for start in range(0, len(inputs), chunk_size):
        _write_chunk(writer, inputs[start : start + chunk_size], outcome)
    # Bisecting may resend a written input; keep each contact once, as last written.
    outcome.written = list({contact.id: contact for contact in outcome.written}.values())
    return outcome


def _write_chunk(writer: _Writer[InputT], chunk: Sequence[InputT], outcome: WriteOutcome[InputT]) -> None:
    try:
        result = writer.write(chunk)
    except HubSpotRequestFailed as ex:
        if ex.status not in _BISECT_STATUSES:
            raise
        if len(chunk) == 1:
            reason = str(ex)
            outcome.rejected.append(Rejected(chunk[0], reason, ex.category, existing_contact_id(reason)))
            return
        _logger.info("HubSpot refused a batch of %d (%s); bisecting", len(chunk), ex.status)
        _bisect(writer, chunk, outcome)
        return
    outcome.written.extend(result.results)
    _collect_errors(writer, chunk, result.errors, outcome)


def _bisect(writer: _Writer[InputT], chunk: Sequence[InputT], outcome: WriteOutcome[InputT]) -> None:
    middle = len(chunk) // 2
    _write_chunk(writer, chunk[:middle], outcome)
    _write_chunk(writer, chunk[middle:], outcome)


def _collect_errors(
    writer: _Writer[InputT], chunk: Sequence[InputT], errors: list[BatchError], outcome: WriteOutcome[InputT]
) -> None:
    """Turn a 207's per-input errors into rejections; errors naming no input need another look."""
    blamed: dict[str, BatchError] = {}
    for error in errors:
        for reference in error.references():
            blamed.setdefault(reference, error)
    for item in chunk:
        blamed_error = blamed.get(writer.key(item))
        if blamed_error is not None:
            outcome.rejected.append(_rejection(item, blamed_error))
    unexplained = [error for error in errors if not error.references() & {writer.key(item) for item in chunk}]
    if not unexplained:
        return
    rest = [item for item in chunk if writer.key(item) not in blamed]
    if len(rest) == 1:
        outcome.rejected.append(_rejection(rest[0], unexplained[0]))
    elif rest and writer.resend_safe:
        _bisect(writer, rest, outcome)
    elif rest:
        reasons = "; ".join(error.message for error in unexplained)
        raise HubSpotUpsertFailed(f"HubSpot reported errors naming no input: {reasons}", status=207)


def _rejection(item: InputT, error: BatchError) -> Rejected[InputT]:
    return Rejected(item, error.message, error.category, existing_contact_id(error.message))


def update_contacts(
    client: HubSpotClient, inputs: Sequence[tuple[str, Properties]], chunk_size: int = MAX_BATCH_INPUTS
) -> WriteOutcome[tuple[str, Properties]]:
    """Update contacts by record id, any number of them, `chunk_size` per request; see `write_batch`."""
    return write_batch(client.batch_update, inputs, key=lambda item: item[0], chunk_size=chunk_size)


def upsert_contacts(
    client: HubSpotClient, inputs: Sequence[tuple[str, Properties]], id_property: str
) -> WriteOutcome[tuple[str, Properties]]:
    """Create or update contacts keyed by a unique property; written contacts carry `new`."""
    return write_batch(
        lambda chunk: client.batch_upsert(chunk, id_property), inputs, key=lambda item: item[0]
    )


def create_contacts(
    client: HubSpotClient, inputs: Sequence[ContactCreate], chunk_size: int = MAX_BATCH_INPUTS
) -> WriteOutcome[ContactCreate]:
    """Create contacts, `chunk_size` per request; existing ones come back rejected with `existing_id`.

    Raises:
        ValueError: When two inputs share an `object_write_trace_id` (HubSpot could not say which failed).
    """
    trace_ids = [item.object_write_trace_id for item in inputs]
    if len(set(trace_ids)) != len(trace_ids):
        raise ValueError("every create input needs its own object_write_trace_id")
    return write_batch(
        client.batch_create,
        inputs,
        key=lambda item: item.object_write_trace_id,
        resend_safe=False,
        chunk_size=chunk_size,
    )
