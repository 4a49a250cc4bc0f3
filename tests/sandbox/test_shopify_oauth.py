"""The sandbox's client-credentials grant: tokens that work, expire and are refused like Shopify's."""

from __future__ import annotations

from tests.sandbox.shopify_sandbox import GRAPHQL, Sandbox, make_sandbox, small_shop

TOKEN_PATH = "/admin/oauth/access_token"
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
FORM = {"grant_type": "client_credentials", "client_id": "sandbox-client-id"}
QUERY = {"query": "{ shop { name } }"}


def _sandbox(**config: object) -> Sandbox:
    return make_sandbox(*small_shop(orders=1), **config)


def _grant(sandbox: Sandbox, secret: str = "sandbox-client-secret") -> dict[str, object]:
    response = sandbox.client.post(TOKEN_PATH, data={**FORM, "client_secret": secret})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _query_with(sandbox: Sandbox, token: str) -> int:
    return sandbox.client.post(GRAPHQL, json=QUERY, headers={"X-Shopify-Access-Token": token}).status_code


def test_the_grant_answers_token_scopes_and_lifetime() -> None:
    """A form post with the app's id and secret gets a token, the granted scopes and 24 h by default."""
    sandbox = _sandbox()
    body = _grant(sandbox)
    assert set(body) == {"access_token", "scope", "expires_in"}
    assert body["scope"] == "read_orders,read_all_orders,read_customers,read_products"
    assert body["expires_in"] == 86_400
    assert _query_with(sandbox, str(body["access_token"])) == 200


def test_the_grant_accepts_json_as_shopify_app_js_sends_it() -> None:
    """The same fields as a JSON body work too."""
    sandbox = _sandbox()
    response = sandbox.client.post(TOKEN_PATH, json={**FORM, "client_secret": "sandbox-client-secret"})
    assert response.status_code == 200 and response.json()["access_token"]


def test_wrong_client_credentials_are_refused_with_invalid_client() -> None:
    """A wrong secret or id gets 400 invalid_client and no token; a wrong grant type is named."""
    sandbox = _sandbox()
    wrong_secret = sandbox.client.post(TOKEN_PATH, data={**FORM, "client_secret": "nope"})
    wrong_id = sandbox.client.post(
        TOKEN_PATH, data={**FORM, "client_id": "other", "client_secret": "sandbox-client-secret"}
    )
    wrong_grant = sandbox.client.post(
        TOKEN_PATH, data={**FORM, "grant_type": "password", "client_secret": "sandbox-client-secret"}
    )
    for response in (wrong_secret, wrong_id):
        assert response.status_code == 400
        assert response.json() == {
            "error": "invalid_client",
            "error_description": "Client authentication failed",
        }
    assert (wrong_grant.status_code, wrong_grant.json()["error"]) == (400, "unsupported_grant_type")
    assert sandbox.runtime.tokens.stats()["refused_grants"] == 2


def test_a_granted_token_expires_after_its_lifetime() -> None:
    """After `token_lifetime_seconds` on the sandbox clock the token gets Shopify's 401, counted."""
    sandbox = _sandbox(token_lifetime_seconds=2.0)
    body = _grant(sandbox)
    token = str(body["access_token"])
    assert body["expires_in"] == 2
    sandbox.clock.advance(1.9)
    assert _query_with(sandbox, token) == 200
    sandbox.clock.advance(0.2)
    response = sandbox.client.post(GRAPHQL, json=QUERY, headers={"X-Shopify-Access-Token": token})
    assert (response.status_code, response.json()) == (401, {"errors": INVALID_TOKEN})
    assert sandbox.runtime.tokens.stats()["expired_rejections"] == 1


def test_expiring_every_token_is_a_control() -> None:
    """POST /_sandbox/oauth/expire ends every granted token (a rotated secret); the static token lives on."""
    sandbox = _sandbox()
    token = str(_grant(sandbox)["access_token"])
    assert sandbox.client.post("/_sandbox/oauth/expire").json() == {"expired": 1}
    assert _query_with(sandbox, token) == 401
    assert _query_with(sandbox, "sandbox-shopify-token") == 200
    state = sandbox.client.get("/_sandbox/state").json()["oauth"]
    assert state == {"grants": 1, "refused_grants": 0, "expired_rejections": 1, "live_tokens": 0}
