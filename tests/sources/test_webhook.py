"""The webhook receiver keeps the source protocol, checks bodies, and parses its spec."""

from __future__ import annotations

import asyncio
import base64
import http.client
from urllib.parse import urlsplit

import orjson
import pytest
import yaml

from kaudit_tui.sources import OpenOptions, SourceError, open_inputs
from kaudit_tui.sources.webhook import (
    ListenConfig,
    WebhookSource,
    check_body,
    insecure_warning,
    kubeconfig,
    open_webhook,
    parse_address,
    rejected_record,
)
from tests.events import audit_event, event_line

from .source_contract import SourceContract, check_close_without_reading

OPTIONS = OpenOptions(follow=False)


def event_list(*events: dict, version: str = "audit.k8s.io/v1") -> bytes:
    return orjson.dumps({"kind": "EventList", "apiVersion": version, "items": list(events)})


def post(url: str, body: bytes, method: str = "POST") -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, "/", body=body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def open_receiver() -> WebhookSource:
    return open_webhook("listen:127.0.0.1:0", OPTIONS)


async def test_the_receiver_keeps_the_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    events = [audit_event(audit_id="a"), audit_event(audit_id="b")]
    first = event_list(*events)
    lines = b"".join(orjson.dumps(event) + b"\n" for event in events)  # one event per line
    second = orjson.dumps(audit_event(audit_id="c"), option=orjson.OPT_INDENT_2)
    async with SourceContract(open_receiver) as contract:
        source = contract.source
        assert isinstance(source, WebhookSource)
        assert capsys.readouterr().err == f"kaudit-tui: listening on {source.url}\n"
        assert await asyncio.to_thread(post, source.url, first) == (200, b"OK\n")
        await contract.until_caught_up(lines)
        # Pretty-printed: spooled as one compact line, so every body is one record.
        assert (await asyncio.to_thread(post, source.url, second))[0] == 200
        compact = orjson.dumps(orjson.loads(second)) + b"\n"
        await contract.until_caught_up(lines + compact)
    assert contract.statuses()[:2] == ["reading", "following"]


async def test_finish_delivers_everything_spooled_then_ends() -> None:
    event = audit_event(audit_id="x")
    body = event_list(event)
    async with SourceContract(open_receiver) as contract:
        source = contract.source
        assert isinstance(source, WebhookSource)
        assert (await asyncio.to_thread(post, source.url, body))[0] == 200
        source.finish()
        await contract.until_end(orjson.dumps(event) + b"\n")
    assert contract.statuses()[-1] == "ended"


async def test_a_refused_body_is_answered_400_and_spooled_as_a_skip_marker() -> None:
    async with SourceContract(open_receiver) as contract:
        source = contract.source
        assert isinstance(source, WebhookSource)
        status, reason = await asyncio.to_thread(post, source.url, b'{"kind":"Pod"}')
        assert status == 400
        assert reason == b"JSON object of kind 'Pod', not an audit event\n"
        assert await asyncio.to_thread(post, source.url, b"x", "GET") == (
            405,
            b"only POST is accepted\n",
        )
        reason = "JSON object of kind 'Pod', not an audit event"
        await contract.until_caught_up(rejected_record(reason, 14, "127.0.0.1"))
        assert source.rejected == 1 and source.accepted == 0


async def test_closing_without_reading_releases_the_socket_and_spool() -> None:
    await check_close_without_reading(open_receiver)


def test_a_listen_spec_is_opened_by_the_registry() -> None:
    (source,) = open_inputs(["listen:127.0.0.1:0"], OPTIONS)
    try:
        assert isinstance(source, WebhookSource)
        assert source.label == "webhook"
        assert source.url.startswith("http://127.0.0.1:")
    finally:
        source.close()


def test_a_busy_port_is_a_source_error() -> None:
    first = open_receiver()
    try:
        port = urlsplit(first.url).port
        with pytest.raises(SourceError, match="cannot listen"):
            open_webhook(f"listen:127.0.0.1:{port}", OPTIONS)
    finally:
        first.close()


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        (event_list(audit_event()), True),
        (event_list(audit_event(), version="audit.k8s.io/v1beta1"), True),
        (event_line(), True),
        (event_line() + b"\n", True),
        (b"", False),
        (b"not json", False),
        (b"[1, 2]", False),
        (b'{"kind":"EventList","items":[]}', False),
        (b'{"auditID": 1', False),
        (b"\xff\xfe", False),
    ],
)
def test_check_body(body: bytes, accepted: bool) -> None:
    record, reason = check_body(body)
    assert (record is not None) is accepted
    if record is not None:
        assert record.endswith(b"\n") and record.count(b"\n") == 1
    else:
        assert reason and "\n" not in reason


def test_addresses_and_specs() -> None:
    assert parse_address("8443") == ("127.0.0.1", 8443)
    assert parse_address(":0") == ("127.0.0.1", 0)
    assert parse_address("0.0.0.0:9000") == ("0.0.0.0", 9000)
    assert parse_address("[::1]:9000") == ("::1", 9000)
    for bad in ("", "host:", "1:99999", "x:y"):
        with pytest.raises(ValueError):
            parse_address(bad)
    config = ListenConfig("::1", 5, tls_cert="/a b?c", tls_key="/k&", max_body=10)
    assert ListenConfig.parse(config.spec()) == config
    assert ListenConfig().spec() == "listen:127.0.0.1:0"


def test_clear_text_beyond_loopback_is_warned_about() -> None:
    assert insecure_warning("127.0.0.1", tls=False) is None
    assert insecure_warning("::1", tls=False) is None
    assert insecure_warning("0.0.0.0", tls=True) is None
    warning = insecure_warning("0.0.0.0", tls=False)
    assert warning is not None and "without TLS" in warning


def test_kubeconfig_has_what_kube_apiserver_needs() -> None:
    config = yaml.safe_load(
        kubeconfig("https://10.0.0.5:8443/", ca_pem=b"PEM", token='s3cret: "x"')
    )
    assert config["kind"] == "Config" and config["apiVersion"] == "v1"
    (cluster,) = config["clusters"]
    assert cluster["cluster"]["server"] == "https://10.0.0.5:8443/"
    assert base64.b64decode(cluster["cluster"]["certificate-authority-data"]) == b"PEM"
    (user,) = config["users"]
    assert user["user"] == {"token": 's3cret: "x"'}
    (context,) = config["contexts"]
    assert context["context"] == {"cluster": cluster["name"], "user": user["name"]}
    assert config["current-context"] == context["name"]
    plain = yaml.safe_load(kubeconfig("http://127.0.0.1:1/"))
    assert plain["users"][0]["user"] == {}
    assert "certificate-authority-data" not in plain["clusters"][0]["cluster"]


def test_an_event_list_is_spooled_one_item_per_line() -> None:
    item = {k: v for k, v in audit_event().items() if k not in ("kind", "apiVersion")}
    body = orjson.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1beta1",
                         "items": [item, 5]})  # fmt: skip
    record, _ = check_body(body)
    assert record == orjson.dumps(item) + b"\n5\n"  # the 5 is counted as skipped on indexing
