"""Bulk query operations: lifecycle, polling paths and the JSONL file Shopify produces."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.sandbox.shopify_sandbox import (
    Sandbox,
    make_sandbox,
    reference_json,
    reference_text,
    shape,
    small_shop,
)

RUN = """mutation($q: String!, $group: Boolean!) {
  bulkOperationRunQuery(query: $q, groupObjects: $group) {
    bulkOperation { id status createdAt }
    userErrors { field message code }
  }
}"""
POLL = """query($id: ID!) { node(id: $id) { ... on BulkOperation {
  id status errorCode createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl } } }"""
# The same fields as the reference JSONL: orders, then LineItem children.
BULK_QUERY = """{ orders { edges { node {
  id name displayFulfillmentStatus cancelledAt cancelReason
  lineItems { edges { node { id sku quantity currentQuantity } } }
} } } }"""


def _start(sandbox: Sandbox, group: bool = False, query: str = BULK_QUERY) -> dict[str, Any]:
    payload = sandbox.data(RUN, {"q": query, "group": group})["bulkOperationRunQuery"]
    assert payload["userErrors"] == []
    return dict(payload["bulkOperation"])


def _completed_lines(sandbox: Sandbox, group: bool = False) -> list[dict[str, Any]]:
    operation = _start(sandbox, group)
    sandbox.clock.advance(60)
    node = sandbox.data(POLL, {"id": operation["id"]})["node"]
    response = sandbox.client.get(node["url"], headers={"X-Shopify-Access-Token": ""})
    assert response.status_code == 200
    return [json.loads(line) for line in response.text.splitlines()]


@pytest.fixture
def sandbox():
    orders, customers, products = small_shop(orders=3)
    return make_sandbox(orders, customers, products)


def test_status_goes_created_running_completed_with_configured_time(sandbox) -> None:
    """A new operation is CREATED, then RUNNING, then COMPLETED with counts, size and url."""
    operation = _start(sandbox)
    assert operation["status"] == "CREATED"
    seen = [sandbox.data(POLL, {"id": operation["id"]})["node"]]
    sandbox.clock.advance(0.1)
    seen.append(sandbox.data(POLL, {"id": operation["id"]})["node"])
    sandbox.clock.advance(1)
    seen.append(sandbox.data(POLL, {"id": operation["id"]})["node"])
    assert [n["status"] for n in seen] == ["CREATED", "RUNNING", "COMPLETED"]
    assert [n["url"] for n in seen[:2]] == [None, None]
    done = seen[-1]
    # 3 orders with one line item each: 6 objects, 3 of them roots.
    assert (done["objectCount"], done["rootObjectCount"]) == ("6", "3")
    assert done["url"].endswith(f"/_sandbox/bulk/{operation['id'].rsplit('/', 1)[1]}.jsonl")
    body = sandbox.client.get(done["url"]).content
    assert done["fileSize"] == str(len(body))


def test_status_object_has_the_reference_shape(sandbox) -> None:
    """Created and completed payloads have the keys and types of Shopify's responses."""
    examples = reference_json("graphql_response_examples.json")
    operation = _start(sandbox)
    assert shape(operation) == shape(
        examples["bulk_operation_run_query_created"]["response"]["data"]["bulkOperationRunQuery"][
            "bulkOperation"
        ]
    )
    sandbox.clock.advance(60)
    node = sandbox.data(POLL, {"id": operation["id"]})["node"]
    completed = examples["bulk_operation_status_completed"]["node"]
    assert shape({k: node[k] for k in completed}) == shape(completed)


def test_jsonl_lines_match_the_reference_keys_and_link_children_to_parents(sandbox) -> None:
    """Orders and line items are separate lines; each child names its order in `__parentId`."""
    lines = _completed_lines(sandbox)
    reference = [
        json.loads(line) for line in reference_text("graphql_bulk_orders_lineitems_sample.jsonl").splitlines()
    ]
    orders = [line for line in lines if "__parentId" not in line]
    items = [line for line in lines if "__parentId" in line]
    order_ids = {line["id"] for line in orders}
    assert len(orders) == 3 and len(items) == 3
    assert all(item["__parentId"] in order_ids for item in items)
    reference_order = {k: v for k, v in reference[0].items() if k in orders[0]}
    assert shape(orders[0]) == shape(reference_order)
    reference_item = {k: v for k, v in reference[1].items() if k in items[0]}
    assert shape(items[0]) == shape(reference_item)
    assert list(items[0])[-1] == "__parentId"


def test_file_escapes_slashes_and_is_compact_like_shopify(sandbox) -> None:
    """Lines are compact JSON with `\\/` in gids, byte-compatible with the reference file."""
    _completed_lines(sandbox)
    operation = sandbox.runtime.bulk.all()[-1]
    text = sandbox.runtime.bulk.jsonl(operation).decode()
    assert text.startswith('{"id":"gid:\\/\\/shopify\\/Order\\/')
    assert text.endswith("}\n") and ": " not in text


def test_group_objects_controls_where_children_are_written(sandbox) -> None:
    """groupObjects:true puts children right after their parent; false writes all parents first."""
    grouped = _completed_lines(sandbox, group=True)
    assert ["__parentId" in line for line in grouped] == [False, True] * 3
    sandbox.clock.advance(60)
    ungrouped = _completed_lines(sandbox, group=False)
    assert ["__parentId" in line for line in ungrouped] == [False] * 3 + [True] * 3


def test_second_run_while_one_is_running_gets_shopify_user_error(sandbox) -> None:
    """Starting a bulk query during another one returns the 'already in progress' userError."""
    first = _start(sandbox)
    payload = sandbox.data(RUN, {"q": BULK_QUERY, "group": False})["bulkOperationRunQuery"]
    assert payload["bulkOperation"] is None
    expected = reference_json("graphql_response_examples.json")["bulk_operation_already_running_user_error"]
    message = expected["userErrors"][0]["message"].replace("4039184154813", first["id"].rsplit("/", 1)[1])
    assert payload["userErrors"] == [{"field": None, "message": message, "code": "OPERATION_IN_PROGRESS"}]
    sandbox.clock.advance(60)
    assert _start(sandbox)["status"] == "CREATED"


def test_every_polling_path_sees_the_same_operation(sandbox) -> None:
    """bulkOperation(id:), deprecated currentBulkOperation and bulkOperations agree with node(id:)."""
    operation = _start(sandbox)
    sandbox.clock.advance(60)
    data = sandbox.data(
        """query($id: ID!) {
          byId: bulkOperation(id: $id) { id status }
          current: currentBulkOperation { id status }
          running: bulkOperations(first: 5, query: "status:running") { nodes { id } }
          done: bulkOperations(first: 5, query: "status:completed operation_type:query") {
            nodes { id status }
          }
        }""",
        {"id": operation["id"]},
    )
    expected = {"id": operation["id"], "status": "COMPLETED"}
    assert data["byId"] == data["current"] == expected
    assert data["running"]["nodes"] == []
    assert data["done"]["nodes"] == [expected]


def test_invalid_bulk_queries_get_user_errors(sandbox) -> None:
    """A query with no connection, or one that fails validation, is refused with a userError."""
    for query in ("{ shop { name } }", "{ orders { edges { node { nope } } } }"):
        payload = sandbox.data(RUN, {"q": query, "group": False})["bulkOperationRunQuery"]
        assert payload["bulkOperation"] is None
        assert payload["userErrors"][0]["field"] == ["query"]
        assert payload["userErrors"][0]["code"] == "INVALID"


def test_unknown_operation_file_is_404(sandbox) -> None:
    """A download URL for an operation that does not exist (or is not finished) is 404."""
    operation = _start(sandbox)
    number = operation["id"].rsplit("/", 1)[1]
    assert sandbox.client.get(f"/_sandbox/bulk/{number}.jsonl").status_code == 404
    assert sandbox.client.get("/_sandbox/bulk/1.jsonl").status_code == 404
