"""Work done in a forked copy of this process: a second core for Python.

Threads share one interpreter lock, so Python work (deciding rules on events read back,
formatting alerts) runs on one core however many threads take it. A forked child starts with
everything this process has built (the index, the compiled rules, the open files) and costs no
start-up. Parent and child talk through two pipes, a pickled message at a time; bulk output
does not travel between them (moving tens of megabytes costs more than making them), so a
child writes its own share of standard output when its parent tells it to. A child exits
without running any of this process's clean-up. Used only where ``fork`` is safe and cheap
(Linux).
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["BROKEN_PIPE", "Channel", "Child", "ChildFailed", "can_fork"]

BROKEN_PIPE = 3
"""A child's exit code when standard output was closed on it."""


def can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class ChildFailed(Exception):
    """The child ended before sending what was expected, or with an error."""


class Channel:
    """One end of the pipes between a parent and its child: pickled messages both ways."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self._in = open(read_fd, "rb")  # noqa: SIM115 - closed with the channel
        self._out = open(write_fd, "wb")  # noqa: SIM115

    def send(self, message: Any) -> None:
        pickle.dump(message, self._out, protocol=pickle.HIGHEST_PROTOCOL)
        self._out.flush()

    def receive(self) -> Any:
        try:
            return pickle.load(self._in)  # noqa: S301 - from our own process's fork
        except (EOFError, pickle.UnpicklingError) as error:
            raise ChildFailed("the other process ended") from error

    def close(self) -> None:
        for file in (self._out, self._in):
            try:
                file.close()
            except OSError:
                pass


class Child:
    """``work(channel)`` running in a forked child from now on."""

    def __init__(self, work: Callable[[Channel], None]) -> None:
        down_read, down_write = os.pipe()
        up_read, up_write = os.pipe()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # nothing buffered here may be written twice
        self._pid: int | None = os.fork()
        if self._pid == 0:
            os.close(down_write)
            os.close(up_read)
            _run_child(work, Channel(down_read, up_write))
        os.close(down_read)
        os.close(up_write)
        self.channel = Channel(up_read, down_write)

    def send(self, message: Any) -> None:
        try:
            self.channel.send(message)
        except (BrokenPipeError, ValueError) as error:
            raise ChildFailed("the child ended") from error

    def receive(self) -> Any:
        return self.channel.receive()

    def wait(self) -> int:
        """The child's exit code, once it has ended."""
        pid, self._pid = self._pid, None
        self.channel.close()
        if pid is None:
            return 1
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)

    def stop(self) -> None:
        """End the child if it still runs (the parent is stopping early) and reap it."""
        pid, self._pid = self._pid, None
        self.channel.close()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass


def _run_child(work: Callable[[Channel], None], channel: Channel) -> None:
    code = 1
    try:
        # Ctrl-C ends a child at once; its parent reaps it.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        work(channel)
        code = 0
    except BrokenPipeError:
        code = BROKEN_PIPE
    finally:
        os._exit(code)  # no clean-up of the parent's state in the child
