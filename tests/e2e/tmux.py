"""Driving the real program in a real terminal: a private tmux server per test."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
needs_tmux = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)")


class Terminal:
    """One tmux session running ``command`` in a shell, 120x40."""

    def __init__(self, command: str, workdir: Path, width: int = 120, height: int = 40) -> None:
        self.socket = f"kaudit-e2e-{uuid.uuid4().hex[:8]}"
        self.exit_file = workdir / "exit-code"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TMUX", "TEXTUAL"))}
        env.update(TERM="xterm-256color", XDG_CONFIG_HOME=str(workdir / "config"))
        self.env = env
        script = f"{command}; echo $? > {shlex.quote(str(self.exit_file))}; exec sleep 600"
        self._tmux("new-session", "-d", "-s", "e2e", "-x", str(width), "-y", str(height),
                   "bash", "--norc", "--noprofile", "-c", script)  # fmt: skip

    def _tmux(self, *args: str) -> str:
        result = subprocess.run(
            [TMUX or "tmux", "-L", self.socket, "-f", os.devnull, *args],
            capture_output=True, text=True, env=self.env, check=True, timeout=20,
        )  # fmt: skip
        return result.stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "e2e")

    def styled_screen(self) -> str:
        """The screen with its colours and attributes as escape sequences."""
        return self._tmux("capture-pane", "-p", "-e", "-t", "e2e")

    def wait_for_styled(self, check: Callable[[str], bool], timeout: float = 20.0) -> str:
        """Poll the styled screen until ``check`` holds."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.styled_screen()
            if check(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {check!r}; screen was:\n{screen}")

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "e2e", *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "e2e", "-l", text)

    def pane(self, fmt: str) -> str:
        return self._tmux("display-message", "-p", "-t", "e2e", fmt).strip()

    def wait_for(self, check: Callable[[str], bool] | str, timeout: float = 20.0) -> str:
        """Poll the screen until ``check`` holds (a string: until it appears)."""
        test = (lambda s: check in s) if isinstance(check, str) else check
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if test(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {check!r}; screen was:\n{screen}")

    def exit_code(self, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.exit_file.exists() and self.exit_file.read_text().strip():
                return int(self.exit_file.read_text())
            time.sleep(0.1)
        raise AssertionError(f"the program did not exit; screen was:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run([TMUX or "tmux", "-L", self.socket, "kill-server"], capture_output=True)


def kaudit(*args: str) -> str:
    """The command line that starts the program under test."""
    return " ".join(shlex.quote(a) for a in (sys.executable, "-m", "kaudit_tui", *args))
