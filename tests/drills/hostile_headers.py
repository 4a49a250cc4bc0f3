"""Fuzz strategies that break a genuine delivery's headers: signature, required headers, shop, media type."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from hypothesis import strategies as st

from sandbox.shopify.signing import sign
from tests.drills.hostile_requests import (
    SYNC_TOPICS,
    HostileRequest,
    Shop,
    genuine_headers,
    header_text,
    new_webhook_id,
    order_body,
)


def forged_signature(shop: Shop) -> st.SearchStrategy[HostileRequest]:
    """Anything signed without the app secret: garbage, hex digests, other keys, other bodies → 401."""

    @st.composite
    def build(draw: st.DrawFn) -> HostileRequest:
        body = draw(st.one_of(order_body(shop), st.binary(max_size=1024)))
        digest = hmac.new(shop.secret.encode(), body, hashlib.sha256)
        signature = draw(
            st.one_of(
                header_text.filter(str.strip),
                st.binary(min_size=32, max_size=32).map(lambda raw: base64.b64encode(raw).decode()),
                st.just(digest.hexdigest()),
                st.just(sign(body, shop.secret + "-rotated-out")),
                st.just(sign(body + b" ", shop.secret)),
                st.just(sign(body, shop.secret).lower()),
            ).filter(lambda value: value.strip() != sign(body, shop.secret))
        )
        webhook_id = new_webhook_id()
        topic = draw(st.one_of(st.sampled_from(SYNC_TOPICS), header_text.filter(str.strip)))
        headers = genuine_headers(body, shop.secret, shop.domain, topic.strip(), webhook_id)
        headers["X-Shopify-Hmac-Sha256"] = signature
        if draw(st.booleans()):
            headers["X-Shopify-Shop-Domain"] = draw(header_text.filter(str.strip))
        return HostileRequest(body, headers, 401, "invalid_hmac", webhook_id)

    return build()


def missing_headers(shop: Shop) -> st.SearchStrategy[HostileRequest]:
    """A genuine delivery lacking (or blanking) at least one required header → 400."""
    required = ("X-Shopify-Hmac-Sha256", "X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id")

    @st.composite
    def build(draw: st.DrawFn) -> HostileRequest:
        body = draw(order_body(shop))
        dropped = draw(st.sets(st.sampled_from(required), min_size=1))
        blank = draw(st.sampled_from([None, "", "   "]))
        webhook_id = new_webhook_id()
        headers: dict[str, str | None] = dict(
            genuine_headers(body, shop.secret, shop.domain, "orders/paid", webhook_id)
        )
        headers.update({name: blank for name in dropped})
        kept = {name: value for name, value in headers.items() if value is not None}
        return HostileRequest(body, kept, 400, "invalid_headers", webhook_id)

    return build()


_NOT_ISO = header_text.filter(lambda text: text.strip() != "" and not _parses_as_datetime(text.strip()))


def _parses_as_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def bad_triggered_at(shop: Shop) -> st.SearchStrategy[HostileRequest]:
    """A signed delivery whose X-Shopify-Triggered-At is no instant (garbage, naive, out of range) → 400."""
    naive = st.datetimes().map(lambda moment: moment.isoformat())
    # Valid ISO text whose instant falls outside datetime's range once converted to UTC.
    out_of_range = st.sampled_from(
        ["0001-01-01T00:00:00+01:00", "0001-01-01T00:30:00+00:31", "9999-12-31T23:59:59-01:00"]
    )

    @st.composite
    def build(draw: st.DrawFn) -> HostileRequest:
        body = draw(order_body(shop))
        value = draw(st.one_of(_NOT_ISO, naive, out_of_range))
        webhook_id = new_webhook_id()
        headers = shop.headers(body, webhook_id=webhook_id)
        headers["X-Shopify-Triggered-At"] = value
        return HostileRequest(body, headers, 400, "invalid_headers", webhook_id)

    return build()


def unknown_shop(shop: Shop) -> st.SearchStrategy[HostileRequest]:
    """Correctly signed, but for a shop this installation does not serve → 403."""

    @st.composite
    def build(draw: st.DrawFn) -> HostileRequest:
        body = draw(order_body(shop))
        domain = draw(header_text.filter(lambda d: d.strip() and d.strip().lower() != shop.domain))
        webhook_id = new_webhook_id()
        headers = genuine_headers(body, shop.secret, domain, "orders/paid", webhook_id)
        return HostileRequest(body, headers, 403, "unknown_shop", webhook_id)

    return build()


_MEDIA_TYPE = st.builds(
    "{}/{}{}".format,
    st.sampled_from(["text", "application", "multipart", "image", "x-custom", "APPLICATION"]),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789.+-", min_size=1, max_size=24),
    st.sampled_from(["", "; charset=utf-8", ";charset=latin-1", "; boundary=x"]),
)


def wrong_content_type(shop: Shop) -> st.SearchStrategy[HostileRequest]:
    """A genuine delivery declared as something other than JSON → 415."""

    def is_json(value: str) -> bool:
        media = value.split(";", 1)[0].strip()
        return media == "application/json" or media.endswith("+json")

    @st.composite
    def build(draw: st.DrawFn) -> HostileRequest:
        body = draw(order_body(shop))
        content_type = draw(_MEDIA_TYPE.filter(lambda value: not is_json(value)))
        webhook_id = new_webhook_id()
        headers = shop.headers(body, webhook_id=webhook_id)
        headers["Content-Type"] = content_type
        return HostileRequest(body, headers, 415, "unsupported_media_type", webhook_id)

    return build()


SECURITY_HEADERS = (
    "X-Shopify-Hmac-Sha256",
    "X-Shopify-Shop-Domain",
    "X-Shopify-Topic",
    "X-Shopify-Webhook-Id",
)


def repeated_headers(shop: Shop) -> st.SearchStrategy[HostileRequest]:
    """A genuine delivery (one valid copy of everything) plus more copies of a security header → 400.

    The extra copies are the same valid value, forgeries, or the same header in another case or spelling
    (`Shopify-Topic` for `X-Shopify-Topic`), before or after the valid one: whichever copy a proxy keeps,
    the request is ambiguous.
    """

    @st.composite
    def build(draw: st.DrawFn) -> HostileRequest:
        body = draw(order_body(shop))
        webhook_id = new_webhook_id()
        genuine = list(shop.headers(body, webhook_id=webhook_id).items())
        name = draw(st.sampled_from(SECURITY_HEADERS))
        valid = dict(genuine)[name]
        spellings = st.sampled_from([name, name.lower(), name.upper(), name.removeprefix("X-")])
        copies = draw(
            st.lists(st.tuples(spellings, st.one_of(st.just(valid), header_text)), min_size=1, max_size=3)
        )
        headers = [pair for pair in genuine if pair[0] != name]
        position = draw(st.integers(0, len(copies)))
        headers += [*copies[:position], (name, valid), *copies[position:]]
        return HostileRequest(body, headers, 400, "ambiguous_headers", webhook_id)

    return build()
