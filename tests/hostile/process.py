"""A running ``kaudit-tui`` process whose output is collected as it comes, for fault tests."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import as_nobody
from tests.hostile.run import COMMAND, ROOT

NOBODY = 65534


class Running:
    """The command line running in the background, stdout and stderr read by threads."""

    def __init__(
        self,
        *args: str | Path,
        stdin: int | None = subprocess.DEVNULL,
        env: dict[str, str] | None = None,
        unprivileged: bool = False,
    ) -> None:
        argv = [*COMMAND, *map(str, args)]
        self.process = subprocess.Popen(
            as_nobody(argv) if unprivileged else argv,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
        )
        self.out = bytearray()
        self.err = bytearray()
        self._lock = threading.Lock()
        self._readers = [
            threading.Thread(target=self._collect, args=(self.process.stdout, self.out)),
            threading.Thread(target=self._collect, args=(self.process.stderr, self.err)),
        ]
        for reader in self._readers:
            reader.start()

    def _collect(self, stream, into: bytearray) -> None:  # noqa: ANN001
        while chunk := os.read(stream.fileno(), 1 << 16):
            with self._lock:
                into += chunk

    def wait_for(self, what: Callable[[bytes, bytes], bool], timeout: float = 30) -> None:
        """Wait until ``what(stdout, stderr)`` holds; fail with both outputs if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                out, err = bytes(self.out), bytes(self.err)
            if what(out, err):
                return
            if self.process.poll() is not None and not any(r.is_alive() for r in self._readers):
                break
            time.sleep(0.02)
        raise AssertionError(f"timed out; exit {self.process.poll()}\nout: {out!r}\nerr: {err!r}")

    def wait_for_lines(self, count: int, timeout: float = 30) -> list[bytes]:
        self.wait_for(lambda out, _: out.count(b"\n") >= count, timeout)
        return bytes(self.out).splitlines()

    def finish(self, sig: int | None = signal.SIGTERM, timeout: float = 30) -> int:
        """Send ``sig`` (None: just wait), then the exit code once both outputs are closed."""
        if sig is not None and self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            for reader in self._readers:
                reader.join(timeout=10)
        return code

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.finish(None)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
