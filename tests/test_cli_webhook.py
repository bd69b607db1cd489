"""``kaudit-tui --listen ... --print`` as kube-apiserver's webhook backend meets it: a real
process on an ephemeral loopback port, real HTTP(S) clients, then SIGTERM. Every event the
receiver acknowledged (200) is printed exactly once, and nothing it refused."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import pytest
import yaml

from kaudit_tui.cli import main
from tests.events import audit_event

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl command is not installed")


# -- certificates --------------------------------------------------------------------------


@dataclass(frozen=True)
class Certs:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_cert: Path
    """A client certificate signed by another CA."""
    other_key: Path


def _openssl(*args: str | Path, cwd: Path) -> None:
    assert OPENSSL is not None
    subprocess.run([OPENSSL, *map(str, args)], cwd=cwd, check=True, capture_output=True)


def _signed(directory: Path, name: str, ca: str, san: str | None) -> None:
    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr",
             "-subj", f"/CN={name}", cwd=directory)  # fmt: skip
    extensions = directory / f"{name}.ext"
    extensions.write_text(f"subjectAltName={san}\n" if san else "basicConstraints=CA:FALSE\n")
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-days", "2", "-out", f"{name}.crt", "-extfile", extensions,
             cwd=directory)  # fmt: skip


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    if OPENSSL is None:
        pytest.skip("the openssl command is not installed")
    directory = tmp_path_factory.mktemp("certs")
    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    for ca in ("ca", "other-ca"):
        _openssl("req", "-x509", *key, "-keyout", f"{ca}.key", "-out", f"{ca}.crt",
                 "-days", "2", "-subj", f"/CN={ca}", cwd=directory)  # fmt: skip
    _signed(directory, "server", "ca", "IP:127.0.0.1")
    _signed(directory, "client", "ca", None)
    _signed(directory, "other", "other-ca", None)
    d = directory
    return Certs(d / "ca.crt", d / "server.crt", d / "server.key", d / "client.crt",
                 d / "client.key", d / "other.crt", d / "other.key")  # fmt: skip


# -- the receiver process and its senders ----------------------------------------------------


def event_id(number: int) -> str:
    return f"00000000-0000-4000-8000-{number:012d}"


@dataclass
class Receiver:
    """``kaudit-tui --listen 127.0.0.1:0 --print ...`` and what its senders were told."""

    process: subprocess.Popen[bytes]
    out: Path
    err: Path
    url: str
    context: ssl.SSLContext | None = None
    token: str | None = None
    acked: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def connect(self, context: ssl.SSLContext | None = None) -> http.client.HTTPConnection:
        parts = urlsplit(self.url)
        assert parts.hostname == "127.0.0.1" and parts.port
        if parts.scheme == "https":
            return http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=20, context=context or self.context
            )
        return http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)

    def post(
        self,
        body: bytes,
        ids: list[str] = (),  # type: ignore[assignment]
        *,
        connection: http.client.HTTPConnection | None = None,
        token: str | None = None,
        method: str = "POST",
    ) -> tuple[int, bytes]:
        """Send one request; the events of a 200 count as acknowledged."""
        own = connection is None
        connection = connection or self.connect()
        headers = {"Content-Type": "application/json"}
        if token or self.token:
            headers["Authorization"] = f"Bearer {token or self.token}"
        try:
            connection.request(method, "/", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.status, response.read()
        finally:
            if own:
                connection.close()
        if answer[0] == 200:
            with self.lock:
                self.acked.extend(ids)
        return answer

    def stop(self) -> tuple[list[str], str]:
        """SIGTERM; the audit IDs printed, and stderr."""
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=30) == 0, self.err.read_text()
        printed = [orjson.loads(line)["auditID"] for line in self.out.read_bytes().splitlines()]
        return printed, self.err.read_text()


@pytest.fixture
def start(tmp_path: Path) -> Iterator:
    started: list[Receiver] = []

    def run(
        *options: str | Path, context: ssl.SSLContext | None = None, mode: str = "--print"
    ) -> Receiver:
        out, err = tmp_path / f"out{len(started)}", tmp_path / f"err{len(started)}"
        command = [sys.executable, "-m", "kaudit_tui", "--listen", "127.0.0.1:0", mode]
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(
                [*command, *map(str, options)],
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                env={**os.environ, "KAUDIT_TUI_SPOOL_DIR": str(tmp_path)},
            )
        deadline = time.monotonic() + 30
        while b"\n" not in err.read_bytes():
            assert process.poll() is None, err.read_text()
            assert time.monotonic() < deadline, "no 'listening on' line"
            time.sleep(0.02)
        line = err.read_text().splitlines()[0]
        prefix = "kaudit-tui: listening on "
        assert line.startswith(prefix), line
        receiver = Receiver(process, out, err, line.removeprefix(prefix), context)
        started.append(receiver)
        return receiver

    yield run
    for receiver in started:
        if receiver.process.poll() is None:
            receiver.process.kill()
            receiver.process.wait()


def batch(numbers: range, version: str = "audit.k8s.io/v1") -> tuple[bytes, list[str]]:
    events = [audit_event(audit_id=event_id(n), name=f"cm-{n}") for n in numbers]
    body = orjson.dumps({"kind": "EventList", "apiVersion": version, "items": events})
    return body, [event_id(n) for n in numbers]


def exactly_once(printed: list[str], acked: list[str]) -> None:
    counts = Counter(printed)
    assert len(acked) == len(set(acked))
    assert sorted(counts) == sorted(acked), "printed events differ from the acknowledged ones"
    assert max(counts.values(), default=1) == 1, "an event was printed twice"


# -- tests -----------------------------------------------------------------------------------


def test_plain_http_concurrent_senders_bad_bodies_and_a_dropped_sender(start) -> None:
    receiver = start("--max-body", "1MiB")
    assert receiver.url.startswith("http://127.0.0.1:")

    # A slow client holds a half-sent request open all along: nobody waits for it.
    slow = socket.create_connection(("127.0.0.1", urlsplit(receiver.url).port))
    slow.sendall(b"POST / HTTP/1.1\r\nContent-Length: 100\r\n")

    def sender(index: int) -> None:
        connection = receiver.connect()  # one kept-alive connection per sender, like Go's
        try:
            for step in range(25):
                first = 100_000 * index + 40 * step
                body, ids = batch(range(first, first + 40))
                assert receiver.post(body, ids, connection=connection)[0] == 200
        finally:
            connection.close()

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()

    # Single events, compact and pretty, and a v1beta1 list.
    single = audit_event(audit_id=event_id(900_001))
    assert receiver.post(orjson.dumps(single), [event_id(900_001)])[0] == 200
    pretty = audit_event(audit_id=event_id(900_002))
    indented = orjson.dumps(pretty, option=orjson.OPT_INDENT_2)
    assert receiver.post(indented, [event_id(900_002)])[0] == 200
    body, ids = batch(range(900_010, 900_015), version="audit.k8s.io/v1beta1")
    assert receiver.post(body, ids)[0] == 200

    # Refusals: never fatal, never printed.
    status, reason = receiver.post(b'{"kind":"EventList","items":[', [event_id(1)])
    assert status == 400 and reason.count(b"\n") == 1
    assert receiver.post(b'{"kind":"Pod","apiVersion":"v1"}')[0] == 400
    assert receiver.post(b"", method="GET")[0] == 405
    big, big_ids = batch(range(800_000, 802_500))
    assert len(big) > 1 << 20
    assert receiver.post(big, big_ids)[0] == 413

    # A sender killed mid-request: headers and half a body, then the connection is gone.
    body, _ = batch(range(700_000, 700_010))
    killed = socket.create_connection(("127.0.0.1", urlsplit(receiver.url).port))
    killed.sendall(f"POST / HTTP/1.1\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    killed.sendall(body[: len(body) // 2])
    killed.close()
    # Malformed HTTP.
    garbage = socket.create_connection(("127.0.0.1", urlsplit(receiver.url).port))
    garbage.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")
    garbage.close()

    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    body, ids = batch(range(900_100, 900_110))
    assert receiver.post(body, ids)[0] == 200  # still serving after all that

    printed, err = receiver.stop()
    slow.close()
    assert len(receiver.acked) == 4 * 25 * 40 + 2 + 5 + 10
    exactly_once(printed, receiver.acked)
    assert "webhook body rejected" in err and "skipped 2 lines" in err


def test_a_burst_from_four_senders(start) -> None:
    receiver = start()
    per_sender, size = 5_000, 250

    def sender(index: int) -> None:
        connection = receiver.connect()
        try:
            for first in range(index * per_sender, (index + 1) * per_sender, size):
                body, ids = batch(range(first, first + size))
                assert receiver.post(body, ids, connection=connection)[0] == 200
        finally:
            connection.close()

    began = time.monotonic()
    threads = [threading.Thread(target=sender, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.monotonic() - began
    printed, _ = receiver.stop()
    assert len(receiver.acked) == 20_000
    exactly_once(printed, receiver.acked)
    print(f"20,000 events from 4 senders acknowledged in {elapsed:.2f} s")


def test_stats_report_at_sigterm(start) -> None:
    receiver = start("--json", mode="--stats")
    body, ids = batch(range(0, 7))
    assert receiver.post(body, ids)[0] == 200
    receiver.process.send_signal(signal.SIGTERM)
    assert receiver.process.wait(timeout=30) == 0, receiver.err.read_text()
    stats = orjson.loads(receiver.out.read_bytes())
    assert stats["events"] == 7


@needs_openssl
def test_tls_with_a_token(start, certs: Certs, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("first-token\n\nsecond-token\n")
    context = ssl.create_default_context(cafile=certs.ca)
    receiver = start("--tls-cert", certs.server_cert, "--tls-key", certs.server_key,
                     "--token-file", tokens, context=context)  # fmt: skip
    assert receiver.url.startswith("https://127.0.0.1:")
    body, ids = batch(range(0, 10))
    assert receiver.post(body, ids, token="second-token")[0] == 200
    body, ids = batch(range(10, 20))
    assert receiver.post(body, ids, token="first-token")[0] == 200
    assert receiver.post(*batch(range(20, 30)), token="wrong")[0] == 401
    status, _ = receiver.post(*batch(range(30, 40)))  # no token at all
    assert status == 401
    # A client that does not trust the receiver's CA does not get to send.
    with pytest.raises(ssl.SSLError):
        receiver.post(*batch(range(40, 50)), connection=receiver.connect(ssl.create_default_context()), token="first-token")  # fmt: skip  # noqa: E501
    printed, _ = receiver.stop()
    exactly_once(printed, receiver.acked)
    assert len(printed) == 20


@needs_openssl
def test_mutual_tls(start, certs: Certs) -> None:
    context = ssl.create_default_context(cafile=certs.ca)
    context.load_cert_chain(certs.client_cert, certs.client_key)
    receiver = start("--tls-cert", certs.server_cert, "--tls-key", certs.server_key,
                     "--client-ca", certs.ca, context=context)  # fmt: skip
    body, ids = batch(range(0, 10))
    assert receiver.post(body, ids)[0] == 200
    for cert, key in ((None, None), (certs.other_cert, certs.other_key)):
        anonymous = ssl.create_default_context(cafile=certs.ca)
        if cert is not None:
            anonymous.load_cert_chain(cert, key)
        with pytest.raises((ssl.SSLError, ConnectionError)):
            receiver.post(*batch(range(10, 20)), connection=receiver.connect(anonymous))
    printed, _ = receiver.stop()
    exactly_once(printed, receiver.acked)
    assert len(printed) == 10


@needs_openssl
def test_webhook_config(certs: Certs, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("\nthe-token\n")
    url = "https://audit.example:8443/"
    assert main(["--webhook-config", url, "--tls-cert", str(certs.server_cert),
                 "--token-file", str(tokens)]) == 0  # fmt: skip
    config = yaml.safe_load(capsys.readouterr().out)
    (cluster,) = config["clusters"]
    assert cluster["cluster"]["server"] == url
    import base64

    ca = base64.b64decode(cluster["cluster"]["certificate-authority-data"])
    assert ca == certs.server_cert.read_bytes()
    assert config["users"][0]["user"] == {"token": "the-token"}
    assert config["current-context"] == config["contexts"][0]["name"]
    assert config["contexts"][0]["context"]["cluster"] == cluster["name"]


def test_receiver_options_need_listen(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--token-file", "x", "--print"]) == 2
    assert "--token-file needs --listen" in capsys.readouterr().err
    assert main(["--listen", "0", "--tls-cert", "c", "--print"]) == 2
    assert "go together" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--listen", "nope"])
