"""Following a policy file on disk: reload on change, keep the last good policy on error."""

from __future__ import annotations

import os
from pathlib import Path

from kaudit_tui.core.policy import PolicyWatcher, load_policy
from tests.core.policy_builders import request

GOOD = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"
BETTER = (
    "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  verbs: [get]\n"
    "- level: Request\n"
)
BROKEN = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Sometimes\n"


def level_of_get(watcher: PolicyWatcher) -> str:
    assert watcher.policy is not None
    return watcher.policy.evaluate(request("GET", "/api/v1/namespaces/ns/pods/p")).level


def test_reload_and_keep_last_good(tmp_path: Path) -> None:
    path = tmp_path / "audit-policy.yaml"
    path.write_text(GOOD)
    watcher = PolicyWatcher(path)
    assert watcher.poll() == (True, None)
    assert level_of_get(watcher) == "Metadata"
    assert watcher.poll() == (False, None)

    path.write_text(BETTER)
    assert watcher.poll() == (True, None)
    assert level_of_get(watcher) == "None"

    path.write_text(BROKEN)
    changed, error = watcher.poll()
    assert not changed
    assert error is not None and "audit-policy.yaml:4: rule 1 of 1, level" in error
    assert level_of_get(watcher) == "None"  # the last good policy stays in force
    assert watcher.poll() == (False, error)  # still broken, still reported

    path.write_text(GOOD)
    assert watcher.poll() == (True, None)
    assert watcher.error is None
    assert level_of_get(watcher) == "Metadata"


def test_editor_style_replace_by_rename_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(GOOD)
    watcher = PolicyWatcher(path, load_policy(path))
    assert watcher.poll() == (False, None)  # given the loaded policy: no first reload
    stat = path.stat()
    replacement = tmp_path / ".policy.yaml.swp"
    replacement.write_text(GOOD.replace("Metadata", "Request "))  # same size
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime
    os.replace(replacement, path)
    assert watcher.poll() == (True, None)
    assert level_of_get(watcher) == "Request"


def test_deleted_file_keeps_the_policy_until_it_returns(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(GOOD)
    watcher = PolicyWatcher(path)
    watcher.poll()
    path.unlink()
    changed, error = watcher.poll()
    assert not changed and error is not None and "cannot read" in error
    assert level_of_get(watcher) == "Metadata"
    path.write_text(BETTER)
    assert watcher.poll() == (True, None)
    assert level_of_get(watcher) == "None"


def test_first_poll_of_a_broken_file_has_no_policy(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(BROKEN)
    watcher = PolicyWatcher(path)
    changed, error = watcher.poll()
    assert not changed and error is not None
    assert watcher.policy is None
