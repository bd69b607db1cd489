"""Events posted to the webhook receiver appear in the UI as they arrive."""

from __future__ import annotations

import asyncio
import http.client
from urllib.parse import urlsplit

import orjson

from kaudit_tui.sources import open_sources
from kaudit_tui.sources.webhook import WebhookSource
from kaudit_tui.ui.app import KauditApp
from kaudit_tui.ui.theming import bundled_dir
from tests.events import audit_event

from .support import loaded, status


def post(url: str, body: bytes) -> int:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("POST", "/", body=body)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def event_list(first: int, count: int) -> bytes:
    items = [audit_event(audit_id=f"00000000-0000-4000-8000-{n:012d}", user=f"u{n}")
             for n in range(first, first + count)]  # fmt: skip
    return orjson.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": items})


async def test_posted_events_appear_live() -> None:
    sources = open_sources(["listen:127.0.0.1:0"], follow=True)
    (receiver,) = sources.sources
    assert isinstance(receiver, WebhookSource)
    app = KauditApp(sources, theme_dirs=[bundled_dir()])
    async with app.run_test() as pilot:
        assert await asyncio.to_thread(post, receiver.url, event_list(0, 3)) == 200
        await loaded(pilot, app, 3)
        assert "following" in status(app)
        assert await asyncio.to_thread(post, receiver.url, event_list(3, 500)) == 200
        await loaded(pilot, app, 503)
        await pilot.press("G")
        await pilot.pause()
