"""Running the real command line, on pipes or on a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

COMMAND = [sys.executable, "-m", "kaudit_tui"]
ROOT = Path(__file__).parents[2]


def run(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """The command line with ``args``, output captured through pipes."""
    return subprocess.run(
        [*COMMAND, *map(str, args)], input=stdin, capture_output=True, timeout=120, cwd=ROOT
    )


def run_on_terminal(*args: str | Path, timeout: float = 60) -> tuple[int, bytes]:
    """The command line with its stdout on a pseudo-terminal; (exit code, bytes shown).

    The terminal's own output processing turns each ``\\n`` into ``\\r\\n``; that is undone.
    """
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [*COMMAND, *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    os.close(terminal)
    shown = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                chunk = os.read(controller, 1 << 16)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()
    return code, bytes(shown).replace(b"\r\n", b"\n")
