"""Streams the demo log into a pipe as if a cluster were writing it now.

The timestamps are shifted so the log ends a little after the moment the demo starts, and the
events arrive in real time through the same pipe path as ``kubectl logs -f ... | kaudit-tui``:
a first part at once (so the panels have something to show), the rest at a steady pace.
"""

from __future__ import annotations

import os
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

_TIMES = re.compile(rb'"(requestReceivedTimestamp|stageTimestamp)":"([^"]+)"')
_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def demo_files() -> tuple[Path, Path]:
    """The bundled demo log and its policy."""
    base = Path(str(resources.files("kaudit_tui.demo")))
    return base / "demo-audit.jsonl", base / "demo-policy.yaml"


def shifted(lines: list[bytes], now: datetime, at: int) -> list[bytes]:
    """``lines`` with their times moved so that line ``at`` happens ``now``."""
    match = _TIMES.search(lines[min(at, len(lines) - 1)])
    if match is None:
        return lines
    anchor = datetime.strptime(match.group(2).decode(), _FORMAT).replace(tzinfo=UTC)
    delta = now - anchor

    def move(found: re.Match[bytes]) -> bytes:
        moment = datetime.strptime(found.group(2).decode(), _FORMAT).replace(tzinfo=UTC)
        text = (moment + delta).strftime(_FORMAT).encode()
        return b'"' + found.group(1) + b'":"' + text + b'"'

    return [_TIMES.sub(move, line) for line in lines]


def start_replay(
    path: Path, fd: int, *, first: float = 0.4, rate: float = 80.0
) -> threading.Thread:
    """Write ``path`` into pipe ``fd`` from a daemon thread, then close it.

    Args:
        first: fraction of the events written at once.
        rate: events per second after that.
    """
    lines = path.read_bytes().splitlines(keepends=True)
    at = int(len(lines) * first)
    lines = shifted(lines, datetime.now(UTC) - timedelta(seconds=1), at)

    def run() -> None:
        try:
            _write(fd, b"".join(lines[:at]))
            for line in lines[at:]:
                time.sleep(1.0 / rate)
                _write(fd, line)
        except OSError:  # the viewer quit and closed the pipe
            pass
        finally:
            os.close(fd)

    thread = threading.Thread(target=run, name="demo-replay", daemon=True)
    thread.start()
    return thread


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
