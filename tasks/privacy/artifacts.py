"""Prefect artifacts under a privacy request: rewrite the ones that name a customer, delete a data export.

shopsync's artifacts are keyed (`sync-outcomes`, `drift-report`, `drift-corrections`, and the data request's
`customer-data-request`), and Prefect keeps one version per run. A redaction reads every version of those
keys: table rows and markdown lines that name the customer are dropped through the API's artifact update
(`PATCH /artifacts/{id}`), and a data request export that names them is deleted (`DELETE /artifacts/{id}`).
A shop redaction deletes every version of every shopsync key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import ArtifactUpdate
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.objects import Artifact

from tasks.privacy.scrub import Mentions, drop_lines, drop_rows

DATA_REQUEST_KEY = "customer-data-request"
REWRITTEN_KEYS = ("sync-outcomes", "drift-report", "drift-corrections")
SHOPSYNC_KEYS = (*REWRITTEN_KEYS, DATA_REQUEST_KEY, "reconcile-progress")
_PAGE = 200


@dataclass
class ArtifactCleanup:
    """How many artifact versions were read, rewritten and deleted."""

    checked: int = 0
    rewritten: int = 0
    deleted: int = 0


def forget_in_artifacts(client: SyncPrefectClient, mentions: Mentions) -> ArtifactCleanup:
    """Drop every row and line naming the customer from shopsync's artifacts; delete their data exports."""
    cleanup = ArtifactCleanup()
    for artifact in _artifacts(client, (*REWRITTEN_KEYS, DATA_REQUEST_KEY)):
        cleanup.checked += 1
        if artifact.key == DATA_REQUEST_KEY:
            if mentions(artifact.data) or mentions(artifact.description):
                client.delete_artifact(artifact.id)
                cleanup.deleted += 1
            continue
        rewritten = _without_mentions(artifact, mentions)
        if rewritten is not None:
            client.update_artifact(artifact.id, ArtifactUpdate(data=rewritten))
            cleanup.rewritten += 1
    return cleanup


def delete_all_artifacts(client: SyncPrefectClient) -> int:
    """Delete every version of every shopsync artifact (shop redaction); returns how many went."""
    ids = [artifact.id for artifact in _artifacts(client, SHOPSYNC_KEYS)]
    for artifact_id in ids:
        client.delete_artifact(artifact_id)
    return len(ids)


def _without_mentions(artifact: Artifact, mentions: Mentions) -> str | None:
    """The artifact's data without what names the customer, or None when nothing named them."""
    data = artifact.data
    if not isinstance(data, str) or not mentions(data):
        return None
    if artifact.type == "table":
        rows = json.loads(data)
        if isinstance(rows, list) and all(isinstance(row, dict) for row in rows):
            kept, _ = drop_rows(rows, mentions)
            return json.dumps(kept)
        # Column-wise or list-of-lists tables: shopsync writes neither, so drop the whole table.
        return json.dumps([])
    text, _ = drop_lines(data, mentions)
    return text


def _artifacts(client: SyncPrefectClient, keys: tuple[str, ...]) -> Iterator[Artifact]:
    """Every version of these keys, read a page at a time (collected first: deleting shifts pages)."""
    found: list[Artifact] = []
    artifact_filter = ArtifactFilter(key=ArtifactFilterKey(any_=list(keys)))
    while True:
        page = client.read_artifacts(artifact_filter=artifact_filter, limit=_PAGE, offset=len(found))
        found.extend(page)
        if len(page) < _PAGE:
            break
    yield from found
