"""Doctor checks of the Shopify side: the API answers, scopes, customer data, webhook subscriptions."""

from __future__ import annotations

from collections.abc import Collection

import httpx

from tasks.errors import ShopifyFetchFailed
from tasks.retry import RetryableError
from tasks.setup.doctor.report import Check, failed, passed, skipped
from tasks.shopify.auth import ShopifyAuthFailed
from tasks.shopify.client import ShopifyClient
from tasks.shopify.graphql_models import AppAccess
from tasks.shopify.topics import API_SUBSCRIBED_TOPICS, topic_enum
from tasks.shopify.transport import ShopifyAccessDenied, ShopifyTokenRefused

API = "Shopify API"
SCOPES = "Shopify access scopes"
CUSTOMER_DATA = "Shopify customer data"
WEBHOOKS = "Shopify webhook subscriptions"
# What the flows read: orders (all of them, not only the last 60 days, for the backfill) and customers.
BASE_SCOPES = ("read_orders", "read_all_orders", "read_customers")
SCOPE_FIX = (
    "grant {missing}: Dev Dashboard → your app → Versions → a new version with those access scopes, released "
    "and approved on the shop (a legacy custom app: Admin → Apps → Develop apps → Configuration)"
)


def required_scopes(uses_product_types: bool) -> tuple[str, ...]:
    """The scopes the flows need; product type rules also read products."""
    return (*BASE_SCOPES, "read_products") if uses_product_types else BASE_SCOPES


def check_api(client: ShopifyClient, shop_domain: str, endpoint: str) -> tuple[Check, AppAccess | None]:
    """Shopify answers with these credentials, for the configured shop; the access it reports, if it did."""
    try:
        access = client.app.access()
    except ShopifyAuthFailed as error:
        fix = "copy the client id and secret from Dev Dashboard → your app → Settings; is the app installed?"
        return failed(API, str(error).split(":")[0], fix), None
    except ShopifyTokenRefused as error:
        fix = "the token is wrong or revoked (app uninstalled?): install the app and use its credentials"
        return failed(API, str(error), fix), None
    except (httpx.HTTPError, RetryableError) as error:
        fix = "check SHOPIFY_SHOP_DOMAIN (or SHOPIFY_ADMIN_API_URL) and that this machine can reach it"
        return failed(API, f"cannot reach {endpoint}: {error}", fix), None
    except ShopifyFetchFailed as error:
        fix = "check SHOPIFY_SHOP_DOMAIN, SHOPIFY_ADMIN_API_URL and SHOPIFY_API_VERSION"
        return failed(API, str(error), fix), None
    if access.shop_domain.lower() != shop_domain.lower():
        detail = f"the credentials open {access.shop_domain}, but SHOPIFY_SHOP_DOMAIN is {shop_domain}"
        fix = f"set SHOPIFY_SHOP_DOMAIN={access.shop_domain}: the receiver refuses other shops' webhooks"
        return failed(API, detail, fix), access
    return passed(API, f"{access.shop_name} ({access.shop_domain}) answers"), access


def check_scopes(access: AppAccess | None, needed: Collection[str]) -> Check:
    """The app holds every scope the flows need."""
    if access is None:
        return skipped(SCOPES, "Shopify did not answer")
    missing = [scope for scope in needed if scope not in access.scopes]
    if not missing:
        return passed(SCOPES, ", ".join(needed))
    detail = f"missing {', '.join(missing)} (granted: {', '.join(sorted(access.scopes)) or 'none'})"
    if "read_all_orders" in missing:
        detail += "; without read_all_orders only the last 60 days of orders are visible"
    return failed(SCOPES, detail, SCOPE_FIX.format(missing=", ".join(missing)))


def check_customer_data(client: ShopifyClient, access: AppAccess | None) -> Check:
    """Customers' emails are readable: protected customer data (level 2) is granted."""
    if access is None:
        return skipped(CUSTOMER_DATA, "Shopify did not answer")
    try:
        readable = client.app.customer_emails_readable()
    except ShopifyAccessDenied:
        return skipped(CUSTOMER_DATA, "customers cannot be read without read_customers")
    if readable is None:
        return passed(CUSTOMER_DATA, "no customer yet to read an email from")
    if readable:
        return passed(CUSTOMER_DATA, "customer emails are readable (protected customer data granted)")
    return failed(
        CUSTOMER_DATA,
        "customer emails come back null: protected customer data access is not granted",
        "request access to customer email (and name) in Dev Dashboard → your app → API access → Protected "
        "customer data; custom apps need the Shopify plan or higher",
    )


def check_webhooks(client: ShopifyClient, access: AppAccess | None, receiver_url: str | None) -> Check:
    """Every consumed topic has a subscription, pointing at the receiver when its URL is known."""
    if access is None:
        return skipped(WEBHOOKS, "Shopify did not answer")
    subscriptions = client.app.webhook_subscriptions()
    addresses = {
        topic: sorted({s.uri for s in subscriptions if s.topic == topic_enum(topic)})
        for topic in API_SUBSCRIBED_TOPICS
    }
    setup = f"shopsync setup --receiver-url {receiver_url or 'https://<receiver>/webhooks/shopify'}"
    missing = [topic for topic, uris in addresses.items() if not uris]
    if missing:
        return failed(WEBHOOKS, f"no subscription for {', '.join(missing)}", f"run `{setup}`")
    if receiver_url is None:
        where = sorted({uri for uris in addresses.values() for uri in uris})
        detail = f"{len(addresses)} topics subscribed, to {', '.join(where)} (no receiver URL to compare)"
        return passed(WEBHOOKS, detail)
    elsewhere = [
        f"{topic} → {', '.join(uris)}" for topic, uris in addresses.items() if receiver_url not in uris
    ]
    if elsewhere:
        detail = f"not delivered to {receiver_url}: {'; '.join(elsewhere)}"
        return failed(WEBHOOKS, detail, f"run `{setup}` (it moves them to the receiver)")
    return passed(WEBHOOKS, f"{', '.join(addresses)} → {receiver_url}")
