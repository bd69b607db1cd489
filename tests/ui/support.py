"""Shared pieces of the Pilot tests: audit event lines, the app on real files, waiting."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from textual.pilot import Pilot

from kaudit_tui.sources import open_sources
from kaudit_tui.ui.app import KauditApp
from kaudit_tui.ui.theming import bundled_dir
from tests.events import audit_event

BASE = datetime(2026, 11, 26, 3, 0, 0, tzinfo=UTC)
SIZE = (140, 40)


def stamp(seconds: float) -> str:
    return (BASE + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ui_event(
    n: int,
    *,
    user: str = "alice",
    verb: str = "get",
    resource: str = "pods",
    ns: str = "default",
    name: str = "",
    code: int = 200,
    stage: str = "ResponseComplete",
    audit_id: str | None = None,
    agent: str = "kubectl/v1.34.1",
    seconds: float | None = None,
    **extra: object,
) -> dict:
    """One v1 audit event (see tests/events.py); ``n`` makes its name, ID and time unique."""
    at = n if seconds is None else seconds
    name = name or f"obj-{n}"
    fields = {
        "audit_id": audit_id or str(uuid.UUID(int=n + 1)),
        "stage": stage,
        "uri": f"/api/v1/namespaces/{ns}/{resource}/{name}",
        "verb": verb,
        "user": user,
        "agent": agent,
        "resource": resource,
        "namespace": ns,
        "name": name,
        "code": code,
        "received": stamp(at),
        "stage_time": stamp(at + 0.01),
    }
    return audit_event(**fields, **extra)  # type: ignore[arg-type]


def lines(*events: dict) -> bytes:
    return b"".join(orjson.dumps(e) + b"\n" for e in events)


def make_app(*paths: Path | str, follow: bool = False, **options: object) -> KauditApp:
    """The app on real files, read through the real sources, with the bundled themes only."""
    sources = open_sources([str(p) for p in paths], follow=follow, poll_interval=0.02)
    options.setdefault("theme_dirs", [bundled_dir()])
    return KauditApp(sources, **options)  # type: ignore[arg-type]


async def wait_until(pilot: Pilot, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until ``predicate()`` holds (fails the test after ``timeout``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {predicate.__doc__ or predicate}")
        await pilot.pause(0.02)
    await pilot.pause()


def status(app: KauditApp) -> str:
    return app.query_one("StatusBar").render().plain


async def loaded(pilot: Pilot, app: KauditApp, total: int) -> None:
    """Wait until ``total`` events are indexed and shown by the status bar."""
    await wait_until(pilot, lambda: f"/ {total:,} events" in status(app))


async def filtered(pilot: Pilot, app: KauditApp, query: str) -> None:
    """Wait until ``query`` is the applied filter and the table shows its result."""
    await wait_until(pilot, lambda: app.query_text == query and not app.filtering)
    await wait_until(pilot, lambda: len(app.table.rows) == len(app.live.rows))
