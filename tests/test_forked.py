"""Forked children (``kaudit_tui.headless.forked``): messages both ways, and a child that
fails or hangs never hangs or fools its parent. Real forks, real pipes."""

from __future__ import annotations

import os
import time

import pytest

from kaudit_tui.headless.forked import BROKEN_PIPE, Channel, Child, ChildFailed, can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="children are forked on Linux only")


def test_a_child_answers_what_it_is_sent_and_exits_cleanly() -> None:
    def work(channel: Channel) -> None:
        numbers = channel.receive()
        channel.send(sum(numbers))
        channel.send(os.getpid())

    child = Child(work)
    child.send(list(range(10)))
    assert child.receive() == 45
    assert child.receive() != os.getpid()  # it ran in another process
    assert child.wait() == 0


def test_a_child_that_fails_is_seen_to_fail() -> None:
    def work(channel: Channel) -> None:
        channel.send("started")
        raise ValueError("broken")

    child = Child(work)
    assert child.receive() == "started"
    with pytest.raises(ChildFailed):
        child.receive()
    assert child.wait() == 1


def test_a_child_whose_output_is_closed_says_so() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)

    def work(channel: Channel) -> None:
        os.write(write_end, b"x")  # nobody reads: EPIPE

    child = Child(work)
    os.close(write_end)
    with pytest.raises(ChildFailed):
        child.receive()
    assert child.wait() == BROKEN_PIPE


def test_stopping_ends_a_child_that_would_wait_forever() -> None:
    child = Child(lambda channel: channel.receive())  # waits for a message never sent
    pid = child._pid  # noqa: SLF001 - the process itself is what is checked
    began = time.monotonic()
    child.stop()
    assert time.monotonic() - began < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left behind
    with pytest.raises(ChildFailed):
        child.send("too late")
