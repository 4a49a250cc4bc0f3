"""Doctor checks of the HubSpot side: the token and its scopes, the property group and properties."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from tasks.errors import HubSpotRequestFailed
from tasks.hubspot.client import HubSpotClient
from tasks.retry import RetryableError
from tasks.rules.config import ShopsyncConfig
from tasks.setup.doctor.report import Check, failed, passed, skipped
from tasks.setup.hubspot_properties import desired_with_keys, mismatch_fix, property_mismatch

TOKEN = "HubSpot token"
PROPERTIES = "HubSpot properties"
# Contacts are read and written; the property group and properties are read and created by setup.
REQUIRED_SCOPES = (
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.schemas.contacts.read",
    "crm.schemas.contacts.write",
)
NEW_TOKEN_FIX = (
    "create a new token (private app → Auth → Rotate, or a new service key) and set HUBSPOT_ACCESS_TOKEN"
)
UNREACHABLE_FIX = "check HUBSPOT_API_URL and that this machine can reach it"


def check_token(client: HubSpotClient, token: SecretStr, portal_id: str | None) -> Check:
    """The token is valid, holds the contact and schema scopes, and belongs to the configured portal."""
    try:
        info = client.token_info(token)
    except HubSpotRequestFailed as error:
        if error.status == 401:
            return failed(TOKEN, f"HubSpot refused the token ({error.category}): {error}", NEW_TOKEN_FIX)
        return _probe_without_scopes(client, error.status)
    except (httpx.HTTPError, RetryableError) as error:
        return failed(TOKEN, f"cannot reach HubSpot: {error}", UNREACHABLE_FIX)
    missing = [scope for scope in REQUIRED_SCOPES if scope not in info.scopes]
    if missing:
        return failed(
            TOKEN,
            f"the token lacks {', '.join(missing)}",
            f"add {', '.join(missing)} to the private app's (or service key's) scopes, then use its token",
        )
    if portal_id and portal_id.strip() != str(info.hub_id):
        detail = f"the token belongs to portal {info.hub_id}, but HUBSPOT_PORTAL_ID is {portal_id}"
        fix = f"set HUBSPOT_PORTAL_ID={info.hub_id}, or use a token of portal {portal_id}"
        return failed(TOKEN, detail, fix)
    return passed(TOKEN, f"portal {info.hub_id}, scopes {', '.join(REQUIRED_SCOPES)}")


def _probe_without_scopes(client: HubSpotClient, status: int) -> Check:
    """For keys the token-info endpoint does not describe: prove reads work instead; writes stay unchecked."""
    try:
        client.get_property("email")
        next(client.iter_contacts(["email"], page_size=1), None)
    except HubSpotRequestFailed as error:
        detail = f"HubSpot refused a read ({error.status} {error.category}): {error}"
        return failed(TOKEN, detail, NEW_TOKEN_FIX)
    except (httpx.HTTPError, RetryableError) as error:
        return failed(TOKEN, f"cannot reach HubSpot: {error}", UNREACHABLE_FIX)
    detail = f"contacts and properties read; no scope list for this key (HTTP {status}), writes unchecked"
    return passed(TOKEN, detail)


def check_properties(client: HubSpotClient, config: ShopsyncConfig, token_ok: bool) -> Check:
    """The property group and every property shopsync writes exist, each with the type shopsync needs."""
    if not token_ok:
        return skipped(PROPERTIES, "the HubSpot token does not work")
    group = config.properties.group_name
    missing = [] if client.get_group(group) is not None else [f"group {group!r}"]
    mismatched: list[tuple[str, str]] = []
    for key, wanted in desired_with_keys(config):
        current = client.get_property(wanted.name)
        if current is None:
            missing.append(wanted.name)
        elif (mismatch := property_mismatch(wanted, current)) is not None:
            mismatched.append((key, mismatch))
    if mismatched:
        key, mismatch = mismatched[0]
        more = f" (and {len(mismatched) - 1} more)" if len(mismatched) > 1 else ""
        return failed(PROPERTIES, mismatch + more, mismatch_fix(key))
    if missing:
        return failed(PROPERTIES, f"missing {', '.join(missing)}", "run `shopsync setup` (it creates them)")
    count = len(desired_with_keys(config))
    return passed(PROPERTIES, f"group {group!r} and {count} properties with the right types")
