"""ClientCredentialsAuth: one token per process, renewed before expiry and once on 401, never shown."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from tasks.errors import ShopifyFetchFailed
from tasks.retry import RetryableError, retry_policy
from tasks.shopify.auth import ClientCredentialsAuth, ShopifyAuthFailed, TokenCache, token_url_for
from tasks.shopify.client import ShopifyClient
from tests.tasks.shopify.fakes import GRAPHQL_URL, FakeClock

TOKEN_URL = "https://shopsync-demo.myshopify.com/admin/oauth/access_token"
SECRET = "shpss_client-secret-value"


@dataclass
class FakeShop:
    """A token endpoint and a GraphQL endpoint that accepts only the tokens it granted and not yet revoked."""

    lifetime: int = 3600
    grants: list[dict[str, str]] = field(default_factory=list)
    graphql_tokens: list[str | None] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    grant_status: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/admin/oauth/access_token":
            return self._grant(request)
        token = request.headers.get("X-Shopify-Access-Token")
        self.graphql_tokens.append(token)
        if token is None or token in self.revoked or not token.startswith("granted-"):
            return httpx.Response(401, json={"errors": "[API] Invalid API key or access token"})
        return httpx.Response(200, json={"data": {"nodes": []}})

    def _grant(self, request: httpx.Request) -> httpx.Response:
        form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
        with self.lock:
            self.grants.append(form)
            number = len(self.grants)
        if self.grant_status != 200:
            return httpx.Response(self.grant_status, json={"error": "invalid_client"})
        if form.get("client_secret") != SECRET:
            body = {"error": "invalid_client", "error_description": "Client authentication failed"}
            return httpx.Response(400, json=body)
        return httpx.Response(
            200,
            json={"access_token": f"granted-{number}", "scope": "read_orders", "expires_in": self.lifetime},
        )


def _client(shop: FakeShop, cache: TokenCache, secret: str = SECRET) -> ShopifyClient:
    auth = ClientCredentialsAuth(TOKEN_URL, "client-id", SecretStr(secret), cache=cache)
    http = httpx.Client(transport=httpx.MockTransport(shop), auth=auth)
    clock = FakeClock()
    return ShopifyClient(
        http,
        GRAPHQL_URL,
        shop_timezone="America/New_York",
        retry=retry_policy(attempts=3, sleep=clock.sleep),
        sleep=clock.sleep,
        clock=clock,
    )


def test_the_token_comes_from_the_grant_and_is_reused() -> None:
    """The first request posts the client credentials; later requests (any client) reuse the token."""
    shop, cache = FakeShop(), TokenCache(FakeClock())

    _client(shop, cache).product_types([1])
    _client(shop, cache).product_types([2])

    assert shop.grants == [
        {"grant_type": "client_credentials", "client_id": "client-id", "client_secret": SECRET}
    ]
    assert shop.graphql_tokens == ["granted-1", "granted-1"]


def test_a_token_is_renewed_before_it_expires() -> None:
    """Within the last five minutes of its 24 hours the token is replaced before it is sent."""
    clock = FakeClock()
    shop, cache = FakeShop(lifetime=86_400), TokenCache(clock)
    client = _client(shop, cache)
    client.product_types([1])

    clock.now += 86_400 - 301
    client.product_types([2])
    clock.now += 2
    client.product_types([3])

    assert shop.graphql_tokens == ["granted-1", "granted-1", "granted-2"]
    assert len(shop.grants) == 2


def test_a_short_lived_token_is_renewed_in_its_last_tenth() -> None:
    """A 10-second token is renewed after 9 s, not refetched on every request."""
    clock = FakeClock()
    shop, cache = FakeShop(lifetime=10), TokenCache(clock)
    client = _client(shop, cache)
    client.product_types([1])
    clock.now += 8.9
    client.product_types([2])
    clock.now += 0.2
    client.product_types([3])
    assert shop.graphql_tokens == ["granted-1", "granted-1", "granted-2"]


def test_a_401_renews_the_token_once_and_resends_the_request() -> None:
    """A revoked token costs one grant and one resend; the caller never sees the 401."""
    shop, cache = FakeShop(), TokenCache(FakeClock())
    client = _client(shop, cache)
    client.product_types([1])
    shop.revoked.add("granted-1")

    client.product_types([2])

    assert shop.graphql_tokens == ["granted-1", "granted-1", "granted-2"]
    assert len(shop.grants) == 2


def test_a_second_401_is_not_answered_with_another_refresh() -> None:
    """Exactly one refresh per request: when the fresh token is refused too, the request fails."""
    shop, cache = FakeShop(), TokenCache(FakeClock())
    client = _client(shop, cache)
    shop.revoked.update({"granted-1", "granted-2", "granted-3"})

    with pytest.raises(ShopifyFetchFailed, match="HTTP 401"):
        client.product_types([1])

    assert len(shop.grants) == 2
    assert shop.graphql_tokens == ["granted-1", "granted-2"]


def test_threads_that_need_a_token_at_once_share_one_grant() -> None:
    """Eight threads starting together (receiver, task runner) cause a single token request."""
    shop, cache = FakeShop(), TokenCache(FakeClock())
    original = shop._grant

    def slow_grant(request: httpx.Request) -> httpx.Response:
        time.sleep(0.05)  # the window in which the other threads ask for a token too
        return original(request)

    shop._grant = slow_grant  # type: ignore[method-assign]
    clients = [_client(shop, cache) for _ in range(8)]
    threads = [threading.Thread(target=client.product_types, args=([1],)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(shop.grants) == 1
    assert shop.graphql_tokens == ["granted-1"] * 8


def test_refused_client_credentials_fail_fast_naming_the_settings() -> None:
    """A wrong secret is ShopifyAuthFailed (not retried), naming the variables but never the secret."""
    shop, cache = FakeShop(), TokenCache(FakeClock())
    with pytest.raises(ShopifyAuthFailed) as raised:
        _client(shop, cache, secret="wrong-secret").product_types([1])
    message = str(raised.value)
    assert "invalid_client" in message and "SHOPIFY_CLIENT_SECRET" in message
    assert "wrong-secret" not in message
    assert len(shop.grants) == 1


def test_a_failing_token_endpoint_is_left_to_the_retry_layer() -> None:
    """A 503 from the token endpoint is retryable; the retry policy decides, not the auth."""
    shop, cache = FakeShop(grant_status=503), TokenCache(FakeClock())
    with pytest.raises(RetryableError, match="token endpoint answered HTTP 503"):
        _client(shop, cache).product_types([1])
    assert len(shop.grants) == 3  # the policy's three attempts, each one grant request


def test_neither_secret_nor_token_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    """With every logger at DEBUG, the client secret and the token appear in no log record."""
    shop, cache = FakeShop(), TokenCache(FakeClock())
    caplog.set_level(logging.DEBUG)
    client = _client(shop, cache)
    client.product_types([1])
    shop.revoked.add("granted-1")
    client.product_types([2])
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Obtained a Shopify access token" in logged
    assert SECRET not in logged and "granted-1" not in logged and "granted-2" not in logged


def test_the_auth_shows_no_secret_in_its_repr() -> None:
    """Neither the auth object nor the cache prints the secret."""
    auth = ClientCredentialsAuth(TOKEN_URL, "client-id", SecretStr(SECRET), cache=TokenCache())
    assert SECRET not in repr(auth) and SECRET not in repr(vars(auth))


def test_the_token_endpoint_is_on_the_graphql_host() -> None:
    """The shop's (or the sandbox's) origin with Shopify's token path."""
    assert token_url_for(GRAPHQL_URL) == TOKEN_URL
    assert token_url_for("http://127.0.0.1:8710/admin/api/2026-04/graphql.json") == (
        "http://127.0.0.1:8710/admin/oauth/access_token"
    )


def test_the_grant_is_a_form_post_accepting_json() -> None:
    """Shopify's documented request: form-encoded fields, JSON answer."""
    shop, cache = FakeShop(), TokenCache(FakeClock())
    seen: list[httpx.Request] = []

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return shop(request)

    auth = ClientCredentialsAuth(TOKEN_URL, "client-id", SecretStr(SECRET), cache=cache)
    with httpx.Client(transport=httpx.MockTransport(spy), auth=auth) as http:
        http.post(GRAPHQL_URL, json={"query": "{ shop { name } }"})
    grant = seen[0]
    assert (grant.method, str(grant.url)) == ("POST", TOKEN_URL)
    assert grant.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert grant.headers["Accept"] == "application/json"
    assert json.loads(seen[1].content) == {"query": "{ shop { name } }"}
