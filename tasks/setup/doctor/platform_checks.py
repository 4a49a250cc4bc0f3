"""Doctor checks of what shopsync runs on: the Prefect API and its deployments, and the database."""

from __future__ import annotations

from collections.abc import Sequence

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
from prefect.settings import PREFECT_API_URL
from sqlalchemy.exc import SQLAlchemyError

from tasks.setup.doctor.report import Check, failed, passed, skipped
from tasks.store.db import make_engine, schema_problems

PREFECT = "Prefect API"
DEPLOYMENTS = "Prefect deployments"
DATABASE = "Database"
SERVER_FIX = (
    "start `prefect server start` and export PREFECT_API_URL=http://127.0.0.1:4200/api "
    "(or `prefect cloud login`)"
)


def check_prefect_api() -> Check:
    """PREFECT_API_URL is set and the API answers its health check."""
    url = PREFECT_API_URL.value()
    if not url:
        detail = "PREFECT_API_URL is not set: runs would start a throwaway server and no schedule would run"
        return failed(PREFECT, detail, SERVER_FIX)
    with get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is not None:
        return failed(PREFECT, f"{url} does not answer: {problem}", SERVER_FIX)
    return passed(PREFECT, f"{url} answers")


def check_deployments(expected: Sequence[str], api_ok: bool) -> Check:
    """Every deployment of prefect.yaml is registered with the API (served or deployed)."""
    if not api_ok:
        return skipped(DEPLOYMENTS, "the Prefect API does not answer")
    names_filter = DeploymentFilter(name=DeploymentFilterName(any_=list(expected)))
    with get_client(sync_client=True) as client:
        found = client.read_deployments(deployment_filter=names_filter)
    registered = {deployment.name for deployment in found}
    missing = [name for name in expected if name not in registered]
    if missing:
        return failed(
            DEPLOYMENTS,
            f"not registered: {', '.join(missing)}",
            "run `shopsync serve --receiver` (serves them all), or `prefect deploy --all` with a worker",
        )
    return passed(DEPLOYMENTS, ", ".join(expected))


def check_database(url: str) -> Check:
    """The inbox and ledger database answers and has every table and column shopsync uses."""
    engine = make_engine(url)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        problems = schema_problems(engine)
    except SQLAlchemyError as error:
        fix = "check SHOPSYNC_DATABASE_URL and that the database server is up"
        return failed(DATABASE, f"{shown} does not answer: {error.__class__.__name__}", fix)
    finally:
        engine.dispose()
    if any(problem.startswith("column") for problem in problems):
        fix = (
            "the database predates this shopsync version and shopsync has no migrations: add the columns, "
            "or point SHOPSYNC_DATABASE_URL at a new database once the inbox is drained"
        )
        return failed(DATABASE, f"{shown} lacks {', '.join(problems)}", fix)
    if problems:
        fix = "run `shopsync setup` (it creates them)"
        return failed(DATABASE, f"{shown} lacks {', '.join(problems)}", fix)
    return passed(DATABASE, f"{shown} has the inbox and ledger tables")
