"""One check's answer, and how the doctor prints a list of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "fail", "skip"]
_MARKS: dict[Status, str] = {"ok": "✓", "fail": "✗", "skip": "–"}


@dataclass(frozen=True)
class Check:
    """The answer of one check.

    Attributes:
        name: What was checked, e.g. "Shopify access scopes".
        status: "ok", "fail", or "skip" (not checked because an earlier check failed).
        detail: What was found, in one line.
        fix: What to do about a failure, in one line.
    """

    name: str
    status: Status
    detail: str
    fix: str | None = None

    @property
    def failed(self) -> bool:
        """Whether this check makes the doctor exit non-zero."""
        return self.status == "fail"


def passed(name: str, detail: str) -> Check:
    """A check that found nothing wrong."""
    return Check(name, "ok", detail)


def failed(name: str, detail: str, fix: str) -> Check:
    """A check that found a problem, and its fix."""
    return Check(name, "fail", detail, fix)


def skipped(name: str, why: str) -> Check:
    """A check that could not run because of an earlier failure."""
    return Check(name, "skip", f"not checked: {why}")


def render(checks: Sequence[Check]) -> list[str]:
    """The lines `shopsync doctor` prints: one per check, plus an indented `fix:` line under each ✗."""
    lines = []
    for check in checks:
        lines.append(f"{_MARKS[check.status]} {check.name}: {check.detail}")
        if check.fix:
            lines.append(f"    fix: {check.fix}")
    return lines
