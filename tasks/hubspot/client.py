"""HubSpot CRM contacts client: HTTP only, no orchestration.

Every call goes through `_request`, which paces, retries via the project's one retry policy and maps error
statuses (see `tasks.hubspot.protocol`). Methods return pydantic models; `response.json()` never leaves here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx
import tenacity

from tasks.errors import HubSpotRequestFailed
from tasks.hubspot.models import (
    BatchResult,
    Contact,
    ContactCreate,
    ContactPage,
    PropertyValue,
    UpsertedContact,
    serialize_properties,
)
from tasks.hubspot.pacing import Pacer
from tasks.hubspot.portal import PortalEndpoints
from tasks.hubspot.protocol import (
    CONTACTS_PATH,
    MAX_BATCH_INPUTS,
    MAX_PAGE_SIZE,
    SEARCH_REQUESTS_PER_SECOND,
    ContactExists,
    HubSpotAuth,
    check_batch_size,
    check_search,
    contact_path,
    error_for,
    existing_contact_id,
    lookup_keys,
    read_params,
)
from tasks.retry import retry_policy

__all__ = ["ContactExists", "HubSpotAuth", "HubSpotClient", "Properties"]

Properties = Mapping[str, PropertyValue]


class HubSpotClient(PortalEndpoints):
    """The CRM contacts, properties and groups endpoints shopsync uses (properties via `PortalEndpoints`)."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        retry: tenacity.Retrying | None = None,
        pacer: Pacer | None = None,
        search_pacer: Pacer | None = None,
    ) -> None:
        """Wrap an `httpx.Client` whose base URL and auth are already set (see `HubSpotCredentials`).

        Args:
            http: The transport; tests pass a `MockTransport` client or the sandbox's `TestClient`.
            retry: The retry policy; defaults to `retry_policy()`.
            pacer: Limits every request (default: 190 per rolling 10 s, a Professional portal's app limit).
            search_pacer: Limits search requests on top (default: 4 per second; HubSpot allows 5).
        """
        self._http = http
        self._retry = retry if retry is not None else retry_policy()
        self._pacer = pacer if pacer is not None else Pacer()
        self._search_pacer = (
            search_pacer if search_pacer is not None else Pacer(SEARCH_REQUESTS_PER_SECOND, 1.0)
        )

    def close(self) -> None:
        """Close the underlying HTTP client (its connection pool)."""
        self._http.close()

    def _request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> httpx.Response:
        """Send one logical request, retried per policy; non-2xx answers raise (see `protocol.error_for`)."""
        return self._retry(self._send_once, method, path, params, body)

    def _send_once(
        self, method: str, path: str, params: Mapping[str, Any] | None, body: Any
    ) -> httpx.Response:
        self._pacer.acquire()
        if path.endswith("/search"):
            self._search_pacer.acquire()
        response = self._http.request(method, path, params=params, json=body)
        if response.is_success:
            return response
        raise error_for(response)

    def iter_contacts(
        self, properties: Sequence[str], page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[list[Contact]]:
        """Yield every live contact, one page at a time, from the list endpoint (no 10k cap, unlike search).

        Args:
            properties: Property names to return; undefined ones are omitted, empty ones are `None`.
            page_size: Contacts per page, at most 100.

        Returns:
            An iterator of pages.
        """
        params: dict[str, Any] = {"limit": min(page_size, MAX_PAGE_SIZE), "properties": ",".join(properties)}
        while True:
            page = ContactPage.model_validate(self._request("GET", CONTACTS_PATH, params=params).json())
            yield page.results
            if page.next_after is None:
                return
            # The cursor is the only thing that changes between pages.
            params["after"] = page.next_after

    def get_contact(
        self, contact_id: str, id_property: str | None = None, properties: Sequence[str] = ()
    ) -> Contact | None:
        """Read one contact by record id or by a unique property (`id_property`, e.g. "email").

        Returns:
            The contact (old ids of merged contacts resolve to the survivor), or `None` if there is none.
        """
        response = self._get_optional(contact_path(contact_id), read_params(id_property, properties))
        return Contact.model_validate(response.json()) if response is not None else None

    def batch_read(
        self, ids: Sequence[str], id_property: str | None = None, properties: Sequence[str] = ()
    ) -> tuple[list[Contact], list[str]]:
        """Read contacts in chunks of 100.

        Args:
            ids: Record ids, or values of `id_property` (emails are matched case-insensitively).
            id_property: A unique property to look up by instead of the record id.
            properties: Property names to return.

        Returns:
            The contacts found and the input ids that matched none. A merged-away record id counts as found
            when its survivor lists it in `hs_merged_object_ids`.
        """
        key_property = id_property or "hs_merged_object_ids"
        wanted = list(dict.fromkeys([*properties, key_property]))
        unique_ids = list(dict.fromkeys(ids))
        contacts: list[Contact] = []
        for start in range(0, len(unique_ids), MAX_BATCH_INPUTS):
            chunk = unique_ids[start : start + MAX_BATCH_INPUTS]
            body: dict[str, Any] = {"properties": wanted, "inputs": [{"id": value} for value in chunk]}
            if id_property:
                body["idProperty"] = id_property
            response = self._request("POST", f"{CONTACTS_PATH}/batch/read", body=body)
            contacts.extend(BatchResult[Contact].model_validate(response.json()).results)
        found = {key.lower() for contact in contacts for key in lookup_keys(contact, id_property)}
        return contacts, [value for value in unique_ids if value.lower() not in found]

    def batch_update(self, inputs: Sequence[tuple[str, Properties]]) -> BatchResult[Contact]:
        """Update up to 100 contacts by record id (never by email: HubSpot silently ignores that, trap 12).

        Returns:
            The updated contacts and per-input errors (a 207 answer).
        """
        check_batch_size(inputs)
        body = {"inputs": [{"id": cid, "properties": serialize_properties(props)} for cid, props in inputs]}
        response = self._request("POST", f"{CONTACTS_PATH}/batch/update", body=body)
        return BatchResult[Contact].model_validate(response.json())

    def batch_create(self, inputs: Sequence[ContactCreate]) -> BatchResult[Contact]:
        """Create up to 100 contacts; each input's `object_write_trace_id` tags its error in a 207 answer.

        Raises:
            HubSpotRequestFailed: 409 when any email exists (the whole batch fails and names one conflict).
        """
        check_batch_size(inputs)
        body = {
            "inputs": [
                {
                    "properties": serialize_properties(item.properties),
                    "objectWriteTraceId": item.object_write_trace_id,
                }
                for item in inputs
            ]
        }
        response = self._request("POST", f"{CONTACTS_PATH}/batch/create", body=body)
        return BatchResult[Contact].model_validate(response.json())

    def batch_upsert(
        self, inputs: Sequence[tuple[str, Properties]], id_property: str
    ) -> BatchResult[UpsertedContact]:
        """Create or update up to 100 contacts keyed by a unique property; each result says if it is `new`."""
        check_batch_size(inputs)
        body = {
            "inputs": [
                {"id": key, "idProperty": id_property, "properties": serialize_properties(props)}
                for key, props in inputs
            ]
        }
        response = self._request("POST", f"{CONTACTS_PATH}/batch/upsert", body=body)
        return BatchResult[UpsertedContact].model_validate(response.json())

    def create_contact(self, properties: Properties) -> Contact:
        """Create one contact.

        Raises:
            ContactExists: The email (or an additional email) belongs to a contact; `existing_id` names it.
        """
        try:
            response = self._request(
                "POST", CONTACTS_PATH, body={"properties": serialize_properties(properties)}
            )
        except HubSpotRequestFailed as ex:
            existing_id = existing_contact_id(str(ex)) if ex.status == 409 else None
            if existing_id is None:
                raise
            raise ContactExists(existing_id, str(ex), correlation_id=ex.correlation_id) from ex
        return Contact.model_validate(response.json())

    def update_contact(
        self, contact_id: str, properties: Properties, id_property: str | None = None
    ) -> Contact | None:
        """Update one contact by record id or unique property; `""`/`None` values clear.

        Returns:
            The updated contact (re-key on its `id`: merges change ids), or `None` if no contact matched.
        """
        params = {"idProperty": id_property} if id_property else None
        body = {"properties": serialize_properties(properties)}
        try:
            response = self._request("PATCH", contact_path(contact_id), params=params, body=body)
        except HubSpotRequestFailed as ex:
            if ex.status == 404:
                return None
            raise
        return Contact.model_validate(response.json())

    def archive_contact(self, contact_id: str) -> bool:
        """Archive (delete) one contact by record id; HubSpot keeps it restorable for 90 days.

        Returns:
            False when no such contact exists (already archived counts as done).
        """
        try:
            self._request("DELETE", contact_path(contact_id))
        except HubSpotRequestFailed as ex:
            if ex.status == 404:
                return False
            raise
        return True

    def search(
        self,
        filter_groups: Sequence[Mapping[str, Any]],
        properties: Sequence[str],
        sorts: Sequence[Mapping[str, str]] = (),
        limit: int = 100,
        after: str | None = None,
    ) -> ContactPage:
        """Search contacts. Eventually consistent: a miss never proves a contact doesn't exist (trap 11).

        Args:
            filter_groups: OR-ed groups, each `{"filters": [{"propertyName", "operator", "value"}]}`.
            properties: Property names to return.
            sorts: At most one sort, e.g. `{"propertyName": "hs_object_id", "direction": "ASCENDING"}`.
            limit: Results per page, at most 200.
            after: The cursor from the previous page's `next_after`.

        Raises:
            ValueError: For a limit over 200 or a group without `filters` (HubSpot would ignore a misspelled
                key and return every contact).
        """
        check_search(filter_groups, limit)
        body: dict[str, Any] = {
            "filterGroups": [dict(group) for group in filter_groups],
            "properties": list(properties),
            "sorts": [dict(sort) for sort in sorts],
            "limit": limit,
        }
        if after is not None:
            body["after"] = after
        return ContactPage.model_validate(self._request("POST", f"{CONTACTS_PATH}/search", body=body).json())

    def merge(self, primary_id: str, merged_id: str) -> Contact:
        """Merge `merged_id` into `primary_id`; the result usually has a new id, which callers must adopt."""
        body = {"primaryObjectId": primary_id, "objectIdToMerge": merged_id}
        return Contact.model_validate(self._request("POST", f"{CONTACTS_PATH}/merge", body=body).json())
