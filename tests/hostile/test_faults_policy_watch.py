"""A watched policy file replaced by garbage: the last good policy stays in force.

Each replacement is a real file-system change (written in place, renamed over, swapped for a
device, a pipe or a directory, deleted). The watcher reports an error that is safe to print
and keeps deciding with the policy that last loaded; a good file brings a new policy back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kaudit_tui.core.policy import PolicyWatcher, RequestAttributes
from tests.hostile.corpus import CORPUS, is_terminal_safe

GOOD = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  verbs: [get]\n"
NEWER = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: RequestResponse\n"
BAD_POLICY = CORPUS / "bad-policy.yaml"
GET = RequestAttributes("alice", (), "get", True, "", "default", "", "pods", "", "web")


def write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def rename_over(path: Path, data: bytes) -> None:
    temporary = path.with_name(".policy.swp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def replace_with(make: Callable[[Path], None]) -> Callable[[Path], None]:
    def replace(path: Path) -> None:
        path.unlink()
        make(path)

    return replace


GARBAGE: dict[str, Callable[[Path], None]] = {
    "binary, written in place": lambda p: write(p, os.urandom(4096)),
    "half written": lambda p: write(p, GOOD.encode()[:30]),
    "empty": lambda p: write(p, b""),
    "not UTF-8": lambda p: write(p, b"rules:\n- level: \xff\xfe\n"),
    "hostile policy, renamed over": lambda p: rename_over(p, BAD_POLICY.read_bytes()),
    "YAML bomb": lambda p: write(p, b"a: &a [x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a]\n"
                                    b"c: &c [*b,*b,*b,*b,*b,*b]\nrules: [*c,*c,*c,*c]\n"),
    "17 MiB of junk": lambda p: write(p, b"#" * (17 << 20)),
    "symlink to /dev/zero": replace_with(lambda p: p.symlink_to("/dev/zero")),
    "FIFO without a writer": replace_with(lambda p: os.mkfifo(p)),
    "directory": replace_with(lambda p: p.mkdir()),
    "deleted": lambda p: p.unlink(),
}  # fmt: skip


@pytest.mark.parametrize("garbage", sorted(GARBAGE))
def test_garbage_keeps_the_last_good_policy(tmp_path: Path, garbage: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(GOOD)
    watcher = PolicyWatcher(path)
    assert watcher.poll() == (True, None)
    GARBAGE[garbage](path)
    changed, error = watcher.poll()
    assert not changed and error is not None
    assert is_terminal_safe(error), error
    assert watcher.policy is not None and watcher.policy.evaluate(GET).level == "None"
    assert watcher.poll() == (False, error)  # unchanged garbage: no new attempt, same error
    if path.is_dir():
        path.rmdir()
    elif path.exists() or path.is_symlink():
        path.unlink()
    path.write_text(NEWER)
    assert watcher.poll() == (True, None)
    assert watcher.policy.evaluate(GET).level == "RequestResponse"
