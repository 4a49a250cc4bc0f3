"""Bulk exports: starting, the busy case, polling, downloading without the token, and reading the JSONL."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tasks.errors import ShopifyFetchFailed
from tasks.shopify.bulk_reader import (
    iter_bulk_objects,
    iter_bulk_orders,
    nest_bulk_objects,
    read_bulk_objects,
)
from tasks.shopify.client import BulkOperationBusy
from tasks.shopify.graphql_models import BulkOperationStatus
from tests.tasks.shopify.fakes import (
    PRODUCT_ID,
    FakeClock,
    ScriptedShopify,
    data_reply,
    graphql_order,
    make_client,
    reference_json,
)

RUNNING_GID = "gid://shopify/BulkOperation/4039184154813"


def test_bulk_export_starts_with_the_window_in_the_query(reference_dir: Path) -> None:
    """The mutation runs the orders bulk query with groupObjects false and returns the created operation."""
    created = reference_json(reference_dir, "graphql_response_examples.json")[
        "bulk_operation_run_query_created"
    ]
    server = ScriptedShopify([httpx.Response(200, json=created["response"])])

    operation = make_client(server).run_bulk_orders_export(None)

    assert (operation.id, operation.status) == ("gid://shopify/BulkOperation/0", BulkOperationStatus.CREATED)
    assert "groupObjects: false" in server.queries()[0]
    assert "orders(sortKey: UPDATED_AT)" in server.variables()[0]["query"]


def test_bulk_export_while_one_runs_raises_busy_with_the_running_operation(reference_dir: Path) -> None:
    """ "already in progress" raises BulkOperationBusy carrying the running operation Shopify lists."""
    examples = reference_json(reference_dir, "graphql_response_examples.json")
    user_errors = examples["bulk_operation_already_running_user_error"]["userErrors"]
    running = {**examples["bulk_operation_status_running"]["node"], "id": RUNNING_GID}
    server = ScriptedShopify(
        [
            data_reply({"bulkOperationRunQuery": {"bulkOperation": None, "userErrors": user_errors}}),
            data_reply({"bulkOperations": {"nodes": [running]}}),
        ]
    )

    with pytest.raises(BulkOperationBusy, match="already in progress") as caught:
        make_client(server).run_bulk_orders_export(None)

    assert caught.value.running is not None
    assert (caught.value.running.id, caught.value.running.object_count) == (RUNNING_GID, 10)
    assert "status:running operation_type:query" in server.queries()[1]


def test_other_bulk_refusals_fail_with_the_message() -> None:
    """A userError other than "already in progress" is a plain ShopifyFetchFailed."""
    refusal = {"bulkOperation": None, "userErrors": [{"field": ["query"], "message": "Invalid bulk query"}]}
    server = ScriptedShopify([data_reply({"bulkOperationRunQuery": refusal})])
    with pytest.raises(ShopifyFetchFailed, match="Invalid bulk query") as caught:
        make_client(server).run_bulk_orders_export(None)
    assert not isinstance(caught.value, BulkOperationBusy)


def test_waiting_polls_until_the_operation_completes(reference_dir: Path) -> None:
    """Polling sleeps between RUNNING replies and returns the COMPLETED operation with typed counts."""
    examples = reference_json(reference_dir, "graphql_response_examples.json")
    running, completed = (
        examples["bulk_operation_status_running"],
        examples["bulk_operation_status_completed"],
    )
    server = ScriptedShopify(
        [
            data_reply({"node": running["node"]}),
            data_reply({"node": running["node"]}),
            data_reply({"node": completed["node"]}),
        ]  # fmt: skip
    )
    clock = FakeClock()

    operation = make_client(server, clock).wait_for_bulk_operation(
        "gid://shopify/BulkOperation/0", poll_seconds=2
    )

    assert operation.finished and (operation.object_count, operation.file_size) == (4, 774)
    assert clock.sleeps == [2, 2]
    assert server.variables()[0] == {"id": "gid://shopify/BulkOperation/0"}


def test_waiting_gives_up_after_the_timeout(reference_dir: Path) -> None:
    """An operation still running at the deadline raises instead of polling forever."""
    running = reference_json(reference_dir, "graphql_response_examples.json")["bulk_operation_status_running"]
    server = ScriptedShopify([data_reply({"node": running["node"]}) for _ in range(3)])
    with pytest.raises(ShopifyFetchFailed, match="still RUNNING"):
        make_client(server).wait_for_bulk_operation("gid://shopify/BulkOperation/0", 5, timeout_seconds=10)


def test_polling_an_unknown_operation_fails() -> None:
    """node(id:) null means there is no such operation."""
    with pytest.raises(ShopifyFetchFailed, match="no bulk operation"):
        make_client(ScriptedShopify([data_reply({"node": None})])).poll_bulk_operation("gid://shopify/Bulk/9")


def test_download_streams_to_disk_without_the_shopify_token(tmp_path: Path) -> None:
    """API calls carry the token; the signed URL is fetched without it, retried on 503, written whole."""
    body = b'{"id":"gid://shopify/Order/1"}\n' * 5000
    server = ScriptedShopify(
        [data_reply({"nodes": []}), httpx.Response(503), httpx.Response(200, content=body)]
    )
    client = make_client(server, token="test-token")
    client.product_types([1])

    dest = client.download_bulk_result(
        "https://storage.example/result.jsonl?sig=1", tmp_path / "orders.jsonl"
    )

    assert dest.read_bytes() == body
    assert server.requests[0].headers["X-Shopify-Access-Token"] == "test-token"
    assert [r.url.host for r in server.requests[1:]] == ["storage.example", "storage.example"]
    assert all("x-shopify-access-token" not in request.headers for request in server.requests[1:])
    assert not (tmp_path / "orders.jsonl.part").exists()


def test_refused_download_leaves_no_file(tmp_path: Path) -> None:
    """An expired link (403) raises and writes nothing at dest."""
    server = ScriptedShopify([httpx.Response(403, text="AccessDenied")])
    with pytest.raises(ShopifyFetchFailed, match="HTTP 403"):
        make_client(server).download_bulk_result("https://storage.example/x", tmp_path / "x.jsonl")
    assert list(tmp_path.iterdir()) == []


def test_reference_jsonl_children_join_their_parents(reference_dir: Path) -> None:
    """The dev-store JSONL nests each LineItem under lineItems.nodes of the order named by __parentId."""
    orders = read_bulk_objects(reference_dir / "shopify" / "graphql_bulk_orders_lineitems_sample.jsonl")

    assert [order["name"] for order in orders] == ["HCDEV#2611", "HCDEV#2612", "HCDEV#2613"]
    assert [[item["sku"] for item in order["lineItems"]["nodes"]] for order in orders] == [
        ["WH09-XS-Green", "WT08-XS-Black"],
        ["MSH02-32-Black", "MH09-XS-Blue"],
        ["WSH04-28-Black", "WH09-XS-Green"],
    ]
    assert all("__parentId" not in item for order in orders for item in order["lineItems"]["nodes"])
    assert orders[2]["cancelledAt"] == "2024-08-13T11:16:47Z"


def test_children_before_their_parent_still_join() -> None:
    """Without groupObjects the order of lines is not promised; a child may precede its parent."""
    lines = [
        '{"id":"gid://shopify/LineItem/2","__parentId":"gid://shopify/Order/1"}',
        "",
        '{"id":"gid://shopify/Order/1","name":"#1"}',
    ]
    assert nest_bulk_objects(lines) == [
        {
            "id": "gid://shopify/Order/1",
            "name": "#1",
            "lineItems": {"nodes": [{"id": "gid://shopify/LineItem/2"}]},
        }
    ]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"id":"gid://shopify/LineItem/2","__parentId":"gid://shopify/Order/404"}'], "parent .* is not in"),
        (
            [
                '{"id":"gid://shopify/Order/1"}',
                '{"id":"gid://shopify/Refund/2","__parentId":"gid://shopify/Order/1"}',
            ],
            "no connection known for child type 'Refund'",
        ),  # fmt: skip
        (['{"id": "gid://shopify/Order/1"', "x"], "line 1 is not JSON"),
        (["[1]"], "line 1 is not a JSON object"),
    ],
)
def test_malformed_bulk_file_raises_with_the_line(lines: list[str], message: str) -> None:
    """Orphans, unknown child types and broken lines fail with the line number instead of losing data."""
    with pytest.raises(ShopifyFetchFailed, match=message):
        nest_bulk_objects(lines)


def test_bulk_file_orders_become_records(tmp_path: Path) -> None:
    """A bulk file of full order lines plus LineItem children yields the same records as a paged read."""
    paged = graphql_order(5)
    order_line = {key: value for key, value in paged.items() if key != "lineItems"}
    children = [
        {"id": f"gid://shopify/LineItem/{n}", **item, "__parentId": paged["id"]}
        for n, item in enumerate(paged["lineItems"]["nodes"])
    ]
    path = tmp_path / "bulk.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in [order_line, *children]) + "\n")

    [record] = list(iter_bulk_orders(path, ZoneInfo("America/New_York")))

    assert record.order_id == 5
    assert record.product_ids == (7, PRODUCT_ID)
    assert record.product_types == ("", "Shirts")


def _family_file(path: Path, orders: int) -> list[dict[str, object]]:
    """Orders with two line items each, children after every parent (Shopify's groupObjects: false)."""
    roots = [{"id": f"gid://shopify/Order/{n}", "name": f"#{n}"} for n in range(orders)]
    children = [
        {
            "id": f"gid://shopify/LineItem/{n * 10 + k}",
            "sku": f"S{k}",
            "__parentId": f"gid://shopify/Order/{n}",
        }
        for k in range(2)
        for n in range(orders)
    ]
    lines = [json.dumps(line) for line in [*roots, *children]]
    lines.insert(3, "   ")  # blank lines are skipped, and must not shift which bucket a line goes to
    path.write_text("\n".join(lines) + "\n")
    return read_bulk_objects(path)


def test_a_large_file_is_read_bucket_by_bucket_with_every_child_under_its_parent(tmp_path: Path) -> None:
    """Split into buckets by family, a file gives the nested orders of reading it whole, and cleans up."""
    path = tmp_path / "bulk.jsonl"
    whole = _family_file(path, orders=300)

    streamed = list(iter_bulk_objects(path, bucket_bytes=4_000))

    by_id = {order["id"]: order for order in streamed}
    assert len(streamed) == 300 and len(by_id) == 300
    assert by_id == {order["id"]: order for order in whole}
    assert sorted(item.name for item in tmp_path.iterdir()) == ["bulk.jsonl"]


def test_a_bucketed_file_reports_errors_with_the_files_line_numbers(tmp_path: Path) -> None:
    """An orphan child deep in a large file is named by its line in the file, not in its bucket."""
    path = tmp_path / "bulk.jsonl"
    _family_file(path, orders=300)
    orphan = '{"id":"gid://shopify/LineItem/9","__parentId":"gid://shopify/Order/404"}\n'
    path.write_text(path.read_text() + orphan + "\n{broken\n")

    with pytest.raises(ShopifyFetchFailed, match="line 904 is not JSON"):
        list(iter_bulk_objects(path, bucket_bytes=4_000))
    path.write_text(path.read_text().replace("{broken\n", ""))
    with pytest.raises(ShopifyFetchFailed, match="line 902: parent 'gid://shopify/Order/404'"):
        list(iter_bulk_objects(path, bucket_bytes=4_000))
