"""Property setup against the sandbox HubSpot app, in process, through the real client."""

from __future__ import annotations

import json

import httpx
import pytest

from tasks.errors import ConfigError
from tasks.hubspot.client import HubSpotAuth, HubSpotClient
from tasks.hubspot.pacing import Pacer
from tasks.retry import retry_policy
from tasks.rules.config import MappingConfig, PropertiesConfig, ShopsyncConfig
from tasks.setup.hubspot_properties import desired_properties, ensure_properties
from tests.sandbox.hubspot_sandbox import TOKEN, Sandbox, make_sandbox

PURCHASE_FACTS = [
    "shopify_customer_id",
    "shopify_total_spent",
    "shopify_order_count",
    "shopify_first_order_date",
    "shopify_last_order_date",
    "shopify_last_order_number",
    "shopify_last_order_paid_at",
    "shopify_currency",
]
# Written with every change, not a purchase fact; then come the mappings.
SHOPSYNC_PROPERTIES = [*PURCHASE_FACTS, "shopify_last_write_source"]
WITH_MAPPING = ShopsyncConfig(
    mapping=(MappingConfig(source="order.source_name", property="shopify_last_order_source"),)
)


def _client(sandbox: Sandbox) -> HubSpotClient:
    sandbox.client.auth = HubSpotAuth(TOKEN)
    return HubSpotClient(
        sandbox.client,
        retry=retry_policy(sleep=sandbox.clock.advance),
        pacer=Pacer(clock=sandbox.clock, sleep=sandbox.clock.advance),
        search_pacer=Pacer(4, 1.0, clock=sandbox.clock, sleep=sandbox.clock.advance),
    )


def _shape(sandbox: Sandbox, name: str) -> tuple[str, str, str, bool] | None:
    prop = sandbox.store.schema.get(name)
    if prop is None:
        return None
    return prop.type, prop.field_type, prop.group_name, prop.has_unique_value


def test_desired_properties_cover_purchase_facts_and_mappings() -> None:
    """The purchase facts come with HubSpot type pairs and labels; a mapping adds its own property."""
    desired = {definition.name: definition for definition in desired_properties(WITH_MAPPING)}

    assert list(desired) == [*SHOPSYNC_PROPERTIES, "shopify_last_order_source"]
    pairs = {name: (d.type, d.field_type, d.has_unique_value) for name, d in desired.items()}
    assert pairs["shopify_customer_id"] == ("string", "text", True)
    assert pairs["shopify_total_spent"] == ("number", "number", False)
    assert pairs["shopify_last_order_date"] == ("date", "date", False)
    assert pairs["shopify_last_order_paid_at"] == ("datetime", "date", False)
    assert pairs["shopify_last_write_source"] == ("enumeration", "select", False)
    assert [option.value for option in desired["shopify_last_write_source"].options] == [
        "realtime", "reconcile", "replay", "backfill",
    ]  # fmt: skip
    assert pairs["shopify_last_order_source"] == ("string", "text", False)
    assert desired["shopify_last_order_date"].label == "Shopify last order date"
    assert desired["shopify_last_order_source"].label == "Shopify last order source"
    assert {d.group_name for d in desired.values()} == {"shopify"}


def test_first_run_creates_group_and_every_property() -> None:
    """An empty portal gets the group and every property with its type; the id property is unique."""
    sandbox = make_sandbox()

    report = ensure_properties(_client(sandbox), WITH_MAPPING)

    assert report.group_created
    assert report.created == [*SHOPSYNC_PROPERTIES, "shopify_last_order_source"]
    assert report.existing == []
    assert _shape(sandbox, "shopify_customer_id") == ("string", "text", "shopify", True)
    assert _shape(sandbox, "shopify_order_count") == ("number", "number", "shopify", False)
    assert _shape(sandbox, "shopify_first_order_date") == ("date", "date", "shopify", False)
    assert _shape(sandbox, "shopify_last_order_paid_at") == ("datetime", "date", "shopify", False)
    assert _shape(sandbox, "shopify_last_write_source") == ("enumeration", "select", "shopify", False)
    assert _shape(sandbox, "shopify_last_order_source") == ("string", "text", "shopify", False)


def test_second_run_creates_nothing() -> None:
    """Rerunning setup finds everything in place and reports each property as existing."""
    sandbox = make_sandbox()
    client = _client(sandbox)
    ensure_properties(client, WITH_MAPPING)

    again = ensure_properties(client, WITH_MAPPING)

    assert not again.group_created
    assert again.created == []
    assert again.existing == [*SHOPSYNC_PROPERTIES, "shopify_last_order_source"]


def test_property_created_by_hand_with_the_right_type_is_kept() -> None:
    """A property someone already created correctly (even in another group) counts as existing."""
    sandbox = make_sandbox()
    sandbox.define("shopify_total_spent", "number", "number")

    report = ensure_properties(_client(sandbox), ShopsyncConfig())

    assert report.properties["shopify_total_spent"] == "exists"
    assert "shopify_total_spent" not in report.created
    assert _shape(sandbox, "shopify_total_spent") == ("number", "number", "contactinformation", False)


def test_wrong_type_is_a_config_error_and_nothing_is_written() -> None:
    """A string `shopify_total_spent` stops setup with a message naming it, both types and the setting."""
    sandbox = make_sandbox()
    sandbox.define("shopify_total_spent", "string", "text")

    with pytest.raises(ConfigError) as caught:
        ensure_properties(_client(sandbox), ShopsyncConfig())

    message = str(caught.value)
    assert "'shopify_total_spent' is string/text but shopsync needs number/number" in message
    assert "properties.total_spent" in message
    assert _shape(sandbox, "shopify_total_spent") == ("string", "text", "contactinformation", False)
    assert _shape(sandbox, "shopify_customer_id") is None
    assert "shopify" not in sandbox.store.schema.groups


def test_id_property_without_unique_flag_is_a_config_error() -> None:
    """A non-unique customer id property can't key contacts, so setup refuses it."""
    sandbox = make_sandbox()
    sandbox.define("shopify_customer_id", "string", "text")

    unique_wanted = r"'shopify_customer_id' is string/text but shopsync needs string/text \(unique\)"
    with pytest.raises(ConfigError, match=unique_wanted):
        ensure_properties(_client(sandbox), ShopsyncConfig())


def test_every_conflict_is_named_at_once() -> None:
    """Two mistyped properties are both reported, so one fix round is enough."""
    sandbox = make_sandbox()
    sandbox.define("shopify_order_count", "string", "text")
    sandbox.define("shopify_last_order_date", "datetime", "date")

    with pytest.raises(ConfigError) as caught:
        ensure_properties(_client(sandbox), ShopsyncConfig())

    assert "'shopify_order_count' is string/text" in str(caught.value)
    assert "'shopify_last_order_date' is datetime/date but shopsync needs date/date" in str(caught.value)


def test_configured_names_and_group_are_used() -> None:
    """Renamed properties and a custom group are what gets created."""
    sandbox = make_sandbox()
    config = ShopsyncConfig(
        properties=PropertiesConfig(total_spent="lifetime_value", group_name="webshop", group_label="Webshop")
    )

    report = ensure_properties(_client(sandbox), config)

    assert "lifetime_value" in report.created
    assert _shape(sandbox, "lifetime_value") == ("number", "number", "webshop", False)
    assert sandbox.store.schema.groups["webshop"]["label"] == "Webshop"


def test_property_created_concurrently_is_checked_not_duplicated() -> None:
    """A 409 on create (another run won the race) re-reads the property and accepts a fitting one."""
    portal: dict[str, dict[str, object]] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[-1]
        if request.method == "GET":
            found = portal.get(name)
            if found is None:
                return httpx.Response(404, json={"status": "error", "category": "OBJECT_NOT_FOUND"})
            return httpx.Response(200, json=found)
        body = json.loads(request.content)
        if body["name"] == "shopify_total_spent":
            # The other run creates it between our GET and our POST.
            portal[body["name"]] = body
            return httpx.Response(409, json={"status": "error", "category": "OBJECT_ALREADY_EXISTS"})
        portal[body["name"]] = body
        return httpx.Response(201, json=body)

    http = httpx.Client(transport=httpx.MockTransport(handler), base_url="https://api.hubapi.com")

    report = ensure_properties(HubSpotClient(http), ShopsyncConfig())

    assert report.properties["shopify_total_spent"] == "exists"
    assert report.created == [name for name in SHOPSYNC_PROPERTIES if name != "shopify_total_spent"]
