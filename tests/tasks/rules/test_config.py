"""shopsync.toml: defaults, the shipped example, and errors that name the offending key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tasks.errors import ConfigError
from tasks.rules.config import MappingConfig, ShopsyncConfig, load_config

REPO_ROOT = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shopsync.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_the_documented_defaults(tmp_path: Path):
    """Without a file, paid and partially refunded real orders count and the default property names apply."""
    config = load_config(tmp_path / "absent.toml")
    assert config == load_config(None) == ShopsyncConfig()
    assert config.rules.financial_statuses == ("paid", "partially_refunded")
    assert config.rules.exclude_test_orders and config.rules.exclude_cancelled
    assert config.properties.total_spent == "shopify_total_spent"
    assert config.reconcile.orphan_policy == "reset"
    assert config.reconcile.max_drift_share == 0.2
    assert config.reconcile.overlap_hours == 48


def test_the_shipped_example_loads_and_documents_every_key():
    """shopsync.example.toml is valid and sets every key of every section (so it documents them all)."""
    path = REPO_ROOT / "shopsync.example.toml"
    config = load_config(path)
    assert config.mapping == (
        MappingConfig(source="order.source_name", property="shopify_last_order_source", type="string"),
    )
    text = path.read_text(encoding="utf-8")
    for section in (config.rules, config.properties, config.reconcile, config.mapping[0]):
        for key in type(section).model_fields:
            assert f"\n{key} = " in text, f"{key} is not documented in the example"


def test_values_are_normalised(tmp_path: Path):
    """Money is a Decimal and rule values are compared lowercased and stripped."""
    path = write(
        tmp_path,
        '[rules]\nmin_order_total = "25.50"\nexclude_product_types = [" Gift Card ", "gift card"]\n'
        'financial_statuses = ["PAID"]\n',
    )
    rules = load_config(path).rules
    assert rules.min_order_total == Decimal("25.50")
    assert rules.exclude_product_types == ("gift card",)
    assert rules.financial_statuses == ("paid",)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[rules]\nmin_order_totl = 5\n", "rules.min_order_totl: unknown key"),
        (
            "[rules]\nmin_order_total = -1\n",
            "rules.min_order_total: Input should be greater than or equal to 0",
        ),
        (
            '[rules]\nfinancial_statuses = ["payed"]\n',
            "rules.financial_statuses: Value error, unknown status",
        ),
        (
            '[reconcile]\norphan_policy = "delete"\n',
            "reconcile.orphan_policy: Input should be 'reset' or 'report'",
        ),
        (
            "[reconcile]\nbatch_size = 250\n",
            "reconcile.batch_size: Input should be less than or equal to 100",
        ),
        (
            '[properties]\ntotal_spent = "Total Spent"\n',
            "properties: Value error, total_spent: 'Total Spent'",
        ),
        (
            '[[mapping]]\nsource = "order.colour"\nproperty = "x"\n',
            "mapping[0].source: Value error, unknown source",
        ),
        (
            '[[mapping]]\nsource = "order.tags"\nproperty = "tags_on"\ntype = "date"\n',
            "mapping[0]: Value error, type 'date' does not fit order.tags",
        ),
        (
            '[[mapping]]\nsource = "order.name"\nproperty = "shopify_order_count"\n',
            "Value error, mapping property 'shopify_order_count' is already used",
        ),
        ("[unknown]\nx = 1\n", "unknown: unknown key"),
    ],
)
def test_invalid_keys_are_named_in_the_error(tmp_path: Path, toml: str, message: str):
    """Every validation error becomes a ConfigError whose message starts the problem with its key path."""
    path = write(tmp_path, toml)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_broken_toml_is_a_config_error(tmp_path: Path):
    """A syntax error is reported as a ConfigError with the file name, not a raw parser exception."""
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[rules\n"))
