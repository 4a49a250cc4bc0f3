"""The vendored references in tests/reference are the upstream copy in the workspace's shared/reference.

Only these comparisons need the upstream folder; every other test reads the vendored copy, so a clone of
the repository alone runs them.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, VENDORED_REFERENCE

UPSTREAM = Path(os.environ.get("SHOPSYNC_UPSTREAM_REFERENCE", REPO_ROOT.parent / "shared" / "reference"))
# The 3.4 MB SDL is vendored once, gzipped, where the sandbox executes it.
SDL_NAME = "shopify/admin-graphql-2026-04.schema.graphql"
SANDBOX_SDL = REPO_ROOT / "sandbox" / "shopify" / "admin-2026-04.graphql.gz"

needs_upstream = pytest.mark.skipif(
    not UPSTREAM.is_dir(),
    reason=f"no upstream reference folder at {UPSTREAM} (a clone on its own has none; "
    "set SHOPSYNC_UPSTREAM_REFERENCE to compare)",
)


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@needs_upstream
def test_every_upstream_reference_is_vendored_unchanged() -> None:
    """A file added to or changed in shared/reference shows up here until it is vendored again."""
    upstream = _files(UPSTREAM) - {SDL_NAME}
    assert upstream == _files(VENDORED_REFERENCE)
    changed = [
        name
        for name in sorted(upstream)
        if (UPSTREAM / name).read_bytes() != (VENDORED_REFERENCE / name).read_bytes()
    ]
    assert changed == []


@needs_upstream
def test_sandbox_schema_is_the_upstream_sdl() -> None:
    """The gzipped schema the sandbox executes is byte for byte the upstream 2026-04 Admin SDL."""
    assert gzip.decompress(SANDBOX_SDL.read_bytes()) == (UPSTREAM / SDL_NAME).read_bytes()


def test_vendored_reference_has_its_sources() -> None:
    """Each vendored folder says where its files came from."""
    assert (VENDORED_REFERENCE / "shopify" / "SOURCES.md").is_file()
    assert (VENDORED_REFERENCE / "hubspot" / "SOURCES.md").is_file()
