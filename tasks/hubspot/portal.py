"""The portal's side of the HubSpot client: contact property definitions, groups, and the token itself.

`HubSpotClient` mixes this in, so these calls share its one paced and retried request path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from tasks.errors import HubSpotRequestFailed
from tasks.hubspot.models import PropertyDefinition, PropertyGroup, TokenInfo
from tasks.hubspot.protocol import PROPERTIES_PATH, TOKEN_INFO_PATH


class PortalEndpoints:
    """Property, group and token-info endpoints; the class mixing this in supplies the request path."""

    def _request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> httpx.Response:
        raise NotImplementedError

    def _get_optional(self, path: str, params: Mapping[str, Any]) -> httpx.Response | None:
        """GET that answers `None` for 404, the normal "no such record" answer."""
        try:
            return self._request("GET", path, params=params)
        except HubSpotRequestFailed as ex:
            if ex.status == 404:
                return None
            raise

    def get_property(self, name: str) -> PropertyDefinition | None:
        """Read a contact property's definition, `None` if it doesn't exist."""
        response = self._get_optional(f"{PROPERTIES_PATH}/{quote(name, safe='')}", {})
        return PropertyDefinition.model_validate(response.json()) if response is not None else None

    def get_group(self, name: str) -> PropertyGroup | None:
        """Read a contact property group, `None` if it doesn't exist."""
        response = self._get_optional(f"{PROPERTIES_PATH}/groups/{quote(name, safe='')}", {})
        return PropertyGroup.model_validate(response.json()) if response is not None else None

    def create_property(self, definition: PropertyDefinition) -> bool:
        """Create a contact property; returns False when it already existed (409), so setup can rerun."""
        return self._create_once(PROPERTIES_PATH, definition.create_body())

    def create_group(self, name: str, label: str) -> bool:
        """Create a contact property group; returns False when it already existed (409)."""
        return self._create_once(f"{PROPERTIES_PATH}/groups", {"name": name, "label": label})

    def token_info(self, token: SecretStr) -> TokenInfo:
        """The portal and scopes of a private-app token (needs no scope itself).

        Args:
            token: The token to describe, sent in the body as HubSpot asks (the client's own bearer header
                goes along too, which EU tokens need).

        Raises:
            HubSpotRequestFailed: HubSpot refused (401 for an unknown or expired token; other statuses for
                keys this endpoint does not describe).
        """
        response = self._request("POST", TOKEN_INFO_PATH, body={"tokenKey": token.get_secret_value()})
        return TokenInfo.model_validate(response.json())

    def _create_once(self, path: str, body: Mapping[str, Any]) -> bool:
        try:
            self._request("POST", path, body=body)
        except HubSpotRequestFailed as ex:
            if ex.status == 409:
                return False
            raise
        return True
