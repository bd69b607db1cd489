"""The audit webhook receiver: what kube-apiserver's ``--audit-webhook-config-file`` sends.

``listen:HOST:PORT[?OPTIONS]`` opens a :class:`WebhookSource`: an HTTP/1.1 server (HTTPS with
a certificate, mutual TLS with a client CA, bearer tokens from a file) taking ``POST`` bodies
that are an ``EventList`` (``audit.k8s.io/v1`` or ``v1beta1``) or a single ``Event``.

Every body is checked (parsed once with orjson, and at least one audit event in it), then
appended to the source's spool (an ``EventList`` one event per line, a single ``Event`` as
one line), and only then answered 200: an acknowledged event
is in the spool, from where it is read like piped input and re-read by the detail view. The
spool holds any backlog, so a burst costs disk, not memory; memory is bounded by the bodies in
flight (at most ``max_body`` per connection being read). A body that holds no audit event is
answered 400 with a one-line reason and is spooled as a one-line marker record instead (see
``kaudit_tui.core.decode.REJECTED_BODY``), which the indexer counts as skipped with that
reason, like any line without an event. 401: a missing or wrong token; 405: not POST; 411: no
length; 413: larger than ``max_body``; 415: a compressed body; 503: the receiver is stopping
or the spool cannot grow. A connection that breaks the protocol, stalls or drops is closed on
its own; other senders, and the event loop, are never held up by it (bodies are checked and
spooled in a worker thread).

The socket is bound when the source is opened, so that a port 0 is known (``url``) before
anything else starts; ``finish()`` stops taking requests, lets those being spooled complete,
and ends ``items()`` once every spooled body was delivered (a headless run's SIGTERM).

The spool is written with ``pwrite`` (no user-space buffer) before 200 is sent; it is not
fsync'd: it is an unnamed file that does not outlive the process, so syncing it would buy no
durability, and the events are safe from everything but the machine going down.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import json
import socket
import ssl
import sys
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, fields, replace
from urllib.parse import parse_qsl, urlencode

import orjson

from kaudit_tui.core.decode import REJECTED_BODY, Skip, events_in

from .cursor import LineCursor
from .items import CaughtUp, SegmentEnd, SourceError, SourceStatus
from .protocol import SourceYield as Item
from .registry import OpenOptions
from .spool import SpoolReader

LABEL = "webhook"
SPEC_PREFIX = "listen:"
"""Specs that name the receiver (told apart without importing this module: see listen.py)."""
DEFAULT_HOST = "127.0.0.1"
DEFAULT_MAX_BODY = 64 << 20
HEADER_LIMIT = 64 * 1024
"""Longest request line or header line; longer ones close the connection."""
MAX_HEADERS = 100
IDLE_TIMEOUT = 120.0
"""Seconds a kept-alive connection may wait for its next request."""
HEADER_TIMEOUT = 30.0
"""Seconds to send a request line and headers once started."""
READ_TIMEOUT = 30.0
"""Seconds a body may go without any progress."""
HANDSHAKE_TIMEOUT = 15.0
LINGER_TIMEOUT = 2.0
"""Seconds to wait for the rest of a refused request, or for a closed connection to drain."""
LINGER_BYTES = 16 << 20
_BODY_CHUNK = 1 << 20

_REASONS = {
    100: "Continue",
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    503: "Service Unavailable",
}


@dataclass(frozen=True, slots=True)
class ListenConfig:
    """Everything about one receiver; ``spec()`` and ``parse()`` are each other's inverse."""

    host: str = DEFAULT_HOST
    port: int = 0
    tls_cert: str | None = None
    tls_key: str | None = None
    client_ca: str | None = None
    token_file: str | None = None
    max_body: int = DEFAULT_MAX_BODY

    def spec(self) -> str:
        """``listen:HOST:PORT`` with the other settings as a URL-encoded query."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        extra = {
            f.name: str(getattr(self, f.name))
            for f in fields(self)
            if f.name not in ("host", "port") and getattr(self, f.name) != f.default
        }
        return f"{SPEC_PREFIX}{host}:{self.port}" + (f"?{urlencode(extra)}" if extra else "")

    @classmethod
    def parse(cls, spec: str) -> ListenConfig:
        address, _, query = spec.removeprefix(SPEC_PREFIX).partition("?")
        try:
            host, port = parse_address(address)
        except ValueError as exc:
            raise SourceError(f"{spec}: {exc}") from None
        config = cls(host=host, port=port)
        known = {f.name for f in fields(cls)}
        for key, value in parse_qsl(query, keep_blank_values=True):
            if key not in known or key in ("host", "port"):
                raise SourceError(f"{spec}: unknown setting {key!r}")
            config = replace(config, **{key: int(value) if key == "max_body" else value})
        return config


def parse_address(text: str) -> tuple[str, int]:
    """``[HOST:]PORT`` (``[::1]:8443`` for IPv6) as (host, port); ValueError if malformed."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected [HOST:]PORT with a port from 0 to 65535, not {text!r}")
    return host or DEFAULT_HOST, int(port)


def open_webhook(spec: str, options: OpenOptions) -> WebhookSource:
    """Bind the receiver now (SourceError naming the problem), serve once iterated.

    It says where it listens on stderr at once, one line (and a warning when events would
    cross the network in clear text): a sender needs the port of ``listen:HOST:0`` before
    anything else happens, and the UI takes the terminal over right after opening.
    """
    del options  # a receiver is live whatever --follow says
    source = WebhookSource(ListenConfig.parse(spec))
    if source.warning is not None:
        print(f"kaudit-tui: {source.warning}", file=sys.stderr)
    print(f"kaudit-tui: listening on {source.url}", file=sys.stderr, flush=True)
    return source


def insecure_warning(host: str, tls: bool) -> str | None:
    """What to say when events would travel in clear text beyond this machine."""
    if tls:
        return None
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if loopback:
        return None
    return (
        f"warning: listening on {host} without TLS: audit events (and any bearer token) "
        "cross the network in clear text; give --tls-cert and --tls-key"
    )


# -- checking a body ---------------------------------------------------------------------------


def check_body(body: bytes) -> tuple[bytes | None, str]:
    """The lines to spool for a body, or None and why it is refused.

    An ``EventList`` is spooled one item per line (each exactly as ``--print`` writes an event
    of a list), so its events are indexed, printed and shown like JSON-line events; any
    other accepted body (a single ``Event``) is one compact line.
    """
    text = body.strip()
    if not text:
        return None, "empty body"
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        message = str(exc)
        if "UTF-8" in message or "surrogate" in message:
            return None, "invalid UTF-8"
        return None, "invalid JSON"
    reason = ""
    for found in events_in(obj):
        if isinstance(found, Skip):
            reason = reason or found.reason
            continue
        if obj.get("kind") == "EventList":  # events_in found an event: obj is a dict
            dumps = orjson.dumps
            return b"".join([dumps(item) + b"\n" for item in obj["items"]]), ""
        return (text if b"\n" not in text else orjson.dumps(obj)) + b"\n", ""
    return None, reason or "no audit event"


def rejected_record(reason: str, size: int, peer: str) -> bytes:
    """The marker spooled for a refused body (counted as a skip with ``reason``)."""
    return orjson.dumps({"kind": REJECTED_BODY, "reason": reason, "bytes": size, "from": peer}) + (
        b"\n"
    )


# -- the kubeconfig kube-apiserver reads ---------------------------------------------------


def kubeconfig(url: str, *, ca_pem: bytes | None = None, token: str | None = None) -> str:
    """A kubeconfig for ``--audit-webhook-config-file`` sending to ``url``."""
    q = json.dumps  # a JSON string is a valid YAML scalar, whatever it holds
    lines = [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: kaudit-tui",
        "  cluster:",
        f"    server: {q(url)}",
    ]
    if ca_pem is not None:
        lines.append(f"    certificate-authority-data: {base64.b64encode(ca_pem).decode()}")
    lines += ["users:", "- name: kube-apiserver"]
    client = [
        "client-certificate: /etc/kubernetes/pki/audit-webhook-client.crt",
        "client-key: /etc/kubernetes/pki/audit-webhook-client.key",
    ]
    if token is not None:
        lines += ["  user:", f"    token: {q(token)}"]
        lines += ["    # for --client-ca, the apiserver's client certificate and key:"]
        lines += [f"    # {line}" for line in client]
    else:
        lines += ["  user: {}", "  # for --client-ca, replace {} with the apiserver's client"]
        lines += ["  # certificate and key (indented under user:):"]
        lines += [f"  #   {line}" for line in client]
    lines += [
        "contexts:",
        "- name: kaudit-tui",
        "  context:",
        "    cluster: kaudit-tui",
        "    user: kube-apiserver",
        "current-context: kaudit-tui",
    ]
    return "\n".join(lines) + "\n"


# -- the source --------------------------------------------------------------------------------


class _Refused(Exception):
    """Answer ``status`` with ``reason`` and close the connection."""

    def __init__(self, status: int, reason: str, headers: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers


class WebhookSource:
    """A receiver of audit webhook requests; bound at construction, served while iterated."""

    def __init__(self, config: ListenConfig) -> None:
        self.label = LABEL
        self.config = config
        self.accepted = 0
        """Bodies answered 200."""
        self.rejected = 0
        """Bodies answered 400."""
        self._tokens = _load_tokens(config.token_file) if config.token_file else None
        self._ssl = _tls_context(config)
        self._sock: socket.socket | None = _bind(config)
        try:
            self.spool = SpoolReader(LABEL)
        except BaseException:
            self._sock.close()
            raise
        host, port = self._sock.getsockname()[:2]
        scheme = "https" if self._ssl is not None else "http"
        self.url = f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}/"
        """Where the receiver listens, with the real port."""
        self.warning = insecure_warning(host, self._ssl is not None)
        self._lock = threading.Lock()
        self._wake = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._writing = 0
        self._finishing = False
        self._spool_error: OSError | None = None
        self._closed = False

    # -- Source ------------------------------------------------------------------------------
    async def items(self) -> AsyncIterator[Item]:
        sock, self._sock = self._sock, None
        if sock is None:
            raise SourceError(f"{self.label}: closed before it was read")
        self._server = await asyncio.start_server(
            self._serve,
            sock=sock,
            ssl=self._ssl,
            ssl_handshake_timeout=HANDSHAKE_TIMEOUT if self._ssl is not None else None,
            limit=HEADER_LIMIT,
        )
        yield SourceStatus(self.label, "reading", f"{self.label}: listening on {self.url}")
        cursor = LineCursor(self.spool)
        said_following = reported_error = False
        while True:
            self._wake.clear()  # before reading, so a body spooled during the read wakes us
            done = self._finishing and self._writing == 0
            batch = await cursor.next_batch(final=done)
            if batch:
                yield batch
                continue
            if done:
                break
            if self._spool_error is not None and not reported_error:
                reported_error = True
                yield _spool_full_status(self.spool, self._spool_error)
            elif not said_following:
                said_following = True
                yield SourceStatus(
                    self.label, "following", f"{self.label}: listening on {self.url}"
                )
            yield CaughtUp(self.label)
            await self._wake.wait()
        yield SegmentEnd(self.spool)
        yield SourceStatus(
            self.label,
            "ended",
            f"{self.label}: stopped listening on {self.url} ({self.accepted} batches accepted, "
            f"{self.rejected} refused)",
        )

    def finish(self) -> None:
        """Stop taking requests; ``items()`` ends once every spooled body is delivered."""
        self._finishing = True
        if self._server is not None:
            self._server.close()
        self._wake.set()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._finishing = True
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        with self._lock:  # a worker thread may be appending
            self.spool.close()

    # -- HTTP --------------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._closed:
            writer.transport.abort()
            return
        self._writers.add(writer)
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) else "?"
        try:
            while await self._request(reader, writer, address):
                pass
        except _Refused as refused:
            with contextlib.suppress(OSError, RuntimeError, TimeoutError, ssl.SSLError):
                await _respond(writer, refused.status, refused.reason, refused.headers, close=True)
                await _linger(reader)
        except (OSError, EOFError, TimeoutError, ValueError, ssl.SSLError):
            pass  # dropped, stalled or garbled: only this connection is affected
        finally:
            self._writers.discard(writer)
            writer.close()  # sends what is buffered (the answer), unlike abort()
            with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
                async with asyncio.timeout(LINGER_TIMEOUT):
                    await writer.wait_closed()
            writer.transport.abort()

    async def _request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> bool:
        """Serve one request; whether the connection stays open for another."""
        async with asyncio.timeout(IDLE_TIMEOUT):
            line = await reader.readline()
        if not line:
            return False
        async with asyncio.timeout(HEADER_TIMEOUT):
            method, version, headers = await _read_head(reader, line)
        close = version == "HTTP/1.0" or "close" in headers.get("connection", "").lower()
        if method != "POST":
            raise _Refused(405, "only POST is accepted", ("Allow: POST",))
        if self._tokens is not None and not _authorized(headers, self._tokens):
            raise _Refused(401, "missing or wrong bearer token", ("WWW-Authenticate: Bearer",))
        if self._finishing:
            raise _Refused(503, "the receiver is stopping")
        if headers.get("content-encoding", "identity").lower() != "identity":
            raise _Refused(415, "compressed bodies are not accepted")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = headers.get("content-length")
        if not chunked:
            if length is None:
                raise _Refused(411, "Content-Length is required")
            if not length.isdigit():
                raise _Refused(400, "bad Content-Length")
            if int(length) > self.config.max_body:
                raise _Refused(413, f"body larger than {self.config.max_body} bytes")
        if headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if chunked:
            body = await _read_chunked(reader, self.config.max_body)
        else:
            body = await _read_exactly(reader, int(length or 0))
        status, reason = await self._take(body, peer)
        await _respond(writer, status, reason, (), close=close or status >= 500)
        return not close and status < 500

    async def _take(self, body: bytes, peer: str) -> tuple[int, str]:
        """Check and spool one body (in a worker thread); the status and reason to answer."""
        if self._finishing:
            return 503, "the receiver is stopping"
        self._writing += 1
        try:
            return await asyncio.to_thread(self._spool_body, body, peer)
        finally:
            self._writing -= 1
            self._wake.set()

    def _spool_body(self, body: bytes, peer: str) -> tuple[int, str]:
        record, reason = check_body(body)
        with self._lock:
            if self._closed:
                return 503, "the receiver is stopping"
            if self._spool_error is not None:  # what follows a partial write would be garbled
                return 503, "the spool cannot grow"
            try:
                self.spool.append(record or rejected_record(reason, len(body), peer))
            except OSError as exc:
                self._spool_error = exc
                return 503, "the spool cannot grow"
            if record is None:
                self.rejected += 1
                return 400, reason
            self.accepted += 1
            return 200, "OK"


async def _read_head(reader: asyncio.StreamReader, line: bytes) -> tuple[str, str, dict[str, str]]:
    try:
        method, _target, version = line.decode("latin-1").split()
    except ValueError:
        raise _Refused(400, "malformed request line") from None
    if not version.startswith("HTTP/1."):
        raise _Refused(400, "HTTP/1.x only")
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS + 1):
        raw = await reader.readline()
        if not raw.endswith(b"\n"):
            raise EOFError
        if raw in (b"\r\n", b"\n"):
            return method, version, headers
        name, sep, value = raw.decode("latin-1").partition(":")
        if not sep or not name.strip():
            raise _Refused(400, "malformed header")
        headers[name.strip().lower()] = value.strip()
    raise _Refused(400, "too many headers")


async def _read_exactly(reader: asyncio.StreamReader, length: int) -> bytes:
    parts: list[bytes] = []
    while length > 0:
        async with asyncio.timeout(READ_TIMEOUT):
            part = await reader.read(min(length, _BODY_CHUNK))
        if not part:
            raise EOFError
        parts.append(part)
        length -= len(part)
    return b"".join(parts)


async def _read_chunked(reader: asyncio.StreamReader, limit: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        async with asyncio.timeout(READ_TIMEOUT):
            size_line = await reader.readline()
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError:
            raise _Refused(400, "malformed chunk") from None
        if size == 0:
            while (await reader.readline()).strip():  # trailers
                pass
            return b"".join(parts)
        total += size
        if total > limit:
            raise _Refused(413, f"body larger than {limit} bytes")
        parts.append(await _read_exactly(reader, size))
        await _read_exactly(reader, 2)  # CRLF after the chunk


async def _linger(reader: asyncio.StreamReader) -> None:
    """Read and drop what a refused client still sends, for a moment: closing a socket with
    unread data resets the connection, and the client could lose the answer."""
    async with asyncio.timeout(LINGER_TIMEOUT):
        for _ in range(LINGER_BYTES // _BODY_CHUNK):
            if not await reader.read(_BODY_CHUNK):
                return


def _authorized(headers: dict[str, str], tokens: list[bytes]) -> bool:
    import hmac  # here: it loads OpenSSL's hashes, a twentieth of every run's start-up

    scheme, _, given = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    value = given.strip().encode()
    found = False
    for token in tokens:  # every token compared, in constant time each
        found |= hmac.compare_digest(value, token)
    return found


async def _respond(
    writer: asyncio.StreamWriter, status: int, reason: str, headers: tuple[str, ...], *, close: bool
) -> None:
    body = (reason.replace("\n", " ") + "\n").encode()
    head = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
        "Content-Type: text/plain; charset=utf-8",
        f"Content-Length: {len(body)}",
        *headers,
    ]
    if close:
        head.append("Connection: close")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
    async with asyncio.timeout(READ_TIMEOUT):
        await writer.drain()


# -- opening -------------------------------------------------------------------------------


def _load_tokens(path: str) -> list[bytes]:
    try:
        with open(path, "rb") as file:
            tokens = [line.strip() for line in file if line.strip()]
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror or exc}") from None
    if not tokens:
        raise SourceError(f"{path}: no token in the file (one per line)")
    return tokens


def _tls_context(config: ListenConfig) -> ssl.SSLContext | None:
    if config.tls_cert is None and config.tls_key is None:
        if config.client_ca is not None:
            raise SourceError("--client-ca needs --tls-cert and --tls-key")
        return None
    if config.tls_cert is None or config.tls_key is None:
        raise SourceError("--tls-cert and --tls-key go together")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])
    try:
        context.load_cert_chain(config.tls_cert, config.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise SourceError(
            f"{config.tls_cert}, {config.tls_key}: cannot load the certificate and key ({exc})"
        ) from None
    if config.client_ca is not None:
        try:
            context.load_verify_locations(cafile=config.client_ca)
        except (OSError, ssl.SSLError) as exc:
            raise SourceError(f"{config.client_ca}: cannot load the client CA ({exc})") from None
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def _bind(config: ListenConfig) -> socket.socket:
    where = f"{SPEC_PREFIX}{config.host}:{config.port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            config.host, config.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise SourceError(f"{where}: cannot resolve {config.host} ({exc.strerror})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise SourceError(f"{where}: cannot listen ({exc.strerror or exc})") from None
    return sock


def _spool_full_status(spool: SpoolReader, error: OSError) -> SourceStatus:
    return SourceStatus(
        spool.label,
        "error",
        f"{spool.label}: refusing requests after {spool.size} bytes: the spool file in "
        f"{spool.directory} cannot grow ({error.strerror or error}); set KAUDIT_TUI_SPOOL_DIR "
        "to a directory with room",
    )
