"""``kaudit-tui --print --follow``: like ``tail -F | grep``, across rotation, until interrupted."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import orjson

from .test_follow import LOGWRITER
from .writers import append, ids, timed_lines


class Printer:
    """``kaudit-tui --print --follow`` running as a real process; its stdout read as it comes."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kaudit_tui", "--print", "--follow", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_lines(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.lines) < count:
            assert self.process.poll() is None, self.stderr()
            assert time.monotonic() < deadline, f"only {len(self.lines)} of {count} lines"
            time.sleep(0.02)

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(10)
        self._reader.join(5)
        return code

    def stderr(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.read().decode() if self.process.poll() is not None else ""

    @property
    def audit_ids(self) -> Counter[str]:
        return Counter(orjson.loads(line)["auditID"] for line in self.lines)


def test_every_event_printed_once_across_two_rotations(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("before", 10))
    printer = Printer(str(log))
    try:
        printer.wait_lines(10)
        writer = subprocess.run(
            [
                sys.executable,
                str(LOGWRITER),
                str(log),
                "live",
                "90",
                "--every",
                "30",
                "--delay",
                "0.002",
            ],
            timeout=30,
        )
        assert writer.returncode == 0
        assert len(list(tmp_path.glob("audit-*.log"))) == 2, "the file was rotated twice"
        printer.wait_lines(100)
        time.sleep(0.5)  # anything printed twice would arrive now
    finally:
        code = printer.interrupt()
    assert code == 0, "Ctrl-C ends a follow run successfully"
    assert printer.audit_ids == ids("before", 10) + ids("live", 90)
    assert "Traceback" not in printer.stderr()


def test_query_applies_to_followed_events(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("a", 5))
    printer = Printer("-q", "id:a-3,b-1", str(log))
    try:
        printer.wait_lines(1)
        append(log, timed_lines("b", 5))
        printer.wait_lines(2)
        time.sleep(0.3)
    finally:
        assert printer.interrupt() == 0
    assert printer.audit_ids == Counter(["a-3", "b-1"])


def test_closed_output_pipe_ends_quietly(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(timed_lines("a", 3))
    process = subprocess.Popen(
        [sys.executable, "-m", "kaudit_tui", "--print", "--follow", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()  # like `| head -1`: read one line, then go away
    process.stdout.close()
    for n in range(50):
        if process.poll() is not None:
            break
        append(log, timed_lines(f"more{n}", 20))
        time.sleep(0.1)
    assert process.wait(10) == 0
    assert process.stderr.read() == b""
