"""Fuzz strategies that break a correctly signed delivery's body: encoding, JSON shape, size, topic.

These bodies carry a valid signature on purpose: only then do they get past the HMAC check to the parser,
which is what a leaked secret or a buggy sender would exercise.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from deployments.receiver.app import MAX_BODY_BYTES
from tests.drills.hostile_requests import (
    SIGNED_PREFIX,
    SYNC_TOPICS,
    HostileRequest,
    Shop,
    header_text,
    new_webhook_id,
    order_body,
)

_INT64_MAX = 2**63 - 1
_json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text()
)
json_values = st.recursive(
    _json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _refused(shop: Shop, body: bytes, topic: str, status: int, error: str) -> HostileRequest:
    webhook_id = new_webhook_id()
    return HostileRequest(body, shop.headers(body, topic, webhook_id), status, error, webhook_id)


def invalid_utf8(shop: Shop) -> st.SearchStrategy[HostileRequest]:
    """Signed bytes that are not UTF-8 (random bytes, or a real payload with a stray byte) → 400."""

    def is_not_utf8(raw: bytes) -> bool:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return True
        return False

    spliced = st.tuples(order_body(shop), st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80"]))
    bodies = st.one_of(
        st.binary(min_size=1, max_size=512).filter(is_not_utf8),
        st.builds(lambda pair, at: pair[0][:at] + pair[1] + pair[0][at:], spliced, st.integers(0, 500)),
    )
    return st.builds(lambda body: _refused(shop, body, "orders/paid", 400, "invalid_body"), bodies)


def _order_id_field(topic: str) -> str:
    return "order_id" if topic == "refunds/create" else "id"


_bad_ids = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(max_value=0),
    st.integers(min_value=_INT64_MAX + 1),
    st.floats(),
    st.integers(min_value=1, max_value=_INT64_MAX).map(str),
    st.lists(st.integers(), max_size=2),
)


def wrong_shape(shop: Shop) -> st.SearchStrategy[HostileRequest]:
    """Signed UTF-8 that is no order: not JSON, not an object, a bad or absurd id, deep nesting → 400."""

    @st.composite
    def build(draw: st.DrawFn) -> HostileRequest:
        topic = draw(st.sampled_from(SYNC_TOPICS))
        field = _order_id_field(topic)
        kind = draw(st.sampled_from(["not_object", "bad_id", "missing_id", "constant", "huge", "deep"]))
        text: str
        if kind == "not_object":
            value = draw(json_values.filter(lambda v: not isinstance(v, dict)))
            text = json.dumps(value)
        elif kind == "bad_id":
            text = json.dumps(
                {**draw(st.dictionaries(st.text(max_size=8), json_values, max_size=3)), field: draw(_bad_ids)}
            )
        elif kind == "missing_id":
            other = draw(st.dictionaries(st.text(max_size=8).filter(lambda k: k != field), json_values))
            text = json.dumps(other)
        elif kind == "constant":
            text = f'{{"{field}": {draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999"]))}}}'
        elif kind == "huge":
            text = f'{{"{field}": {draw(st.integers(4301, 20_000)) * "9"}}}'
        else:
            # Far beyond the decoder's recursion limit, yet well inside the 1 MiB cap.
            depth = draw(st.integers(50_000, 250_000))
            text = f'{{"{field}": 1, "x": {"[" * depth}{"]" * depth}}}'
        return _refused(shop, text.encode(), topic, 400, "invalid_body")

    return build()


def truncated(shop: Shop) -> st.SearchStrategy[HostileRequest]:
    """A real payload cut short: signed as cut → 400; signed in full but cut in transit → 401."""

    @st.composite
    def build(draw: st.DrawFn) -> HostileRequest:
        full = draw(order_body(shop))
        cut = full[: draw(st.integers(0, len(full) - 1))]
        if draw(st.booleans()):
            return _refused(shop, cut, "orders/paid", 400, "invalid_body")
        webhook_id = new_webhook_id()
        headers = shop.headers(full, webhook_id=webhook_id)
        return HostileRequest(cut, headers, 401, "invalid_hmac", webhook_id)

    return build()


def oversized(shop: Shop) -> st.SearchStrategy[HostileRequest]:
    """Bodies over 1 MiB, declared or streamed without Content-Length, signed or not → 413 before parsing."""

    @st.composite
    def build(draw: st.DrawFn) -> HostileRequest:
        size = MAX_BODY_BYTES + draw(st.integers(1, 64 * 1024))
        body = b'{"id": 1, "pad": "' + b"x" * size + b'"}'
        webhook_id = new_webhook_id()
        headers = shop.headers(body, webhook_id=webhook_id)
        if draw(st.booleans()):
            headers["X-Shopify-Hmac-Sha256"] = "forged"
        if draw(st.booleans()):
            chunk = draw(st.integers(1024, 256 * 1024))
            chunks = [body[start : start + chunk] for start in range(0, len(body), chunk)]
            return HostileRequest(chunks, headers, 413, "payload_too_large", webhook_id)
        return HostileRequest(body, headers, 413, "payload_too_large", webhook_id)

    return build()


_KNOWN_PREFIXES = ("orders/", "refunds/")


def unknown_topic(shop: Shop) -> st.SearchStrategy[HostileRequest]:
    """A signed JSON object on a topic shopsync does not subscribe to → 200, recorded as ignored."""

    @st.composite
    def build(draw: st.DrawFn) -> HostileRequest:
        topic = draw(header_text.map(str.strip).filter(lambda t: t and not t.startswith(_KNOWN_PREFIXES)))
        payload: dict[str, Any] = draw(st.dictionaries(st.text(max_size=8), json_values, max_size=4))
        body = json.dumps(payload).encode()
        webhook_id = new_webhook_id(SIGNED_PREFIX)
        return HostileRequest(body, shop.headers(body, topic, webhook_id), 200, None, webhook_id)

    return build()
