"""A real PostgreSQL for tests: a throwaway database per test session, a fresh schema per test.

WIREMON_TEST_PG_DSN is the admin connection, a role allowed to CREATE DATABASE; by default
postgresql://root@127.0.0.1:5432/postgres (what `.ci/pg-start` sets up). Where it cannot be reached the
PostgreSQL tests skip with the reason, unless WIREMON_REQUIRE_POSTGRES=1 (CI), where they fail.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
import pytest

from monitor.store.postgres import describe

DEFAULT_ADMIN_DSN = "postgresql://root@127.0.0.1:5432/postgres"


def admin_dsn() -> str:
    return os.environ.get("WIREMON_TEST_PG_DSN") or DEFAULT_ADMIN_DSN


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail where CI promised a PostgreSQL."""
    if os.environ.get("WIREMON_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (WIREMON_REQUIRE_POSTGRES=1: run .ci/pg-start)", pytrace=False)
    pytest.skip(reason)


def with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


def with_schema(dsn: str, schema: str) -> str:
    """asyncpg passes unknown DSN parameters on as server settings: this one picks the schema."""
    parts = urlsplit(dsn)
    query = "&".join(q for q in (parts.query, f"search_path={schema}") if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


async def _admin(statement: str) -> None:
    conn = await asyncpg.connect(admin_dsn(), timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def session_database() -> Iterator[str]:
    """The body of a session fixture: a new database's DSN, dropped when the session ends.

    Synchronous (asyncio.run) so that it can serve tests whatever their event loop.
    """
    name = f"wiremon_test_{secrets.token_hex(4)}"
    try:
        asyncio.run(_admin(f"CREATE DATABASE {name}"))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        unavailable(f"PostgreSQL at {describe(admin_dsn())} cannot be used: {exc}")
    try:
        yield with_database(admin_dsn(), name)
    finally:
        asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def new_schema(database_dsn: str) -> str:
    """A DSN whose tables land in a new, empty schema of the session's database."""
    schema = f"t_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(database_dsn, timeout=5)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")
    finally:
        await conn.close()
    return with_schema(database_dsn, schema)


async def query(dsn: str, sql: str) -> list[tuple[object, ...]]:
    """Rows of one statement, read outside the store: what is really in the database."""
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        return [tuple(row) for row in await conn.fetch(sql)]
    finally:
        await conn.close()
