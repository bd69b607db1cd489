"""One rule for everything shown or printed as text.

The same hostile string goes through each real entry point -- the UI's event table and its
notifications, ``--stats``, ``--where``, policy errors and warnings, the message for a missing
file -- and must come out escaped the same way everywhere: the forms the query language reads
back (``\\t``, ``\\xNN``, ``\\uNNNN``, ``\\UNNNNNNNN``), printable characters (even outside the
BMP) left as they are.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kaudit_tui.core.policy import load_policy
from tests.discovery.discovery_nodes import manifest, write
from tests.ui.support import SIZE, lines, loaded, make_app, ui_event, wait_until

# ESC sequences (CSI and OSC with BEL), tab, no-break space, bidi override, zero-width space,
# C1 controls (NEL, CSI), an invisible non-BMP tag character and a printable non-BMP emoji.
HOSTILE = "ev\x1b[31mil\x1b]0;t\x07 a\tb\xa0c\u202ed\u200be\x85\x9bf\U000e0041g\U0001f680"
SHOWN = "ev\\x1b[31mil\\x1b]0;t\\x07 a\\tb\\xa0c\\u202ed\\u200be\\x85\\x9bf\\U000e0041g\U0001f680"
POLICY = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n"


def assert_shown(text: str) -> None:
    """``text`` holds the hostile string in its escaped form and nothing a terminal acts on."""
    assert SHOWN in text, text
    unsafe = sorted({c for c in text if not (c.isprintable() or c in " \n")})
    assert not unsafe, unsafe


def kaudit(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kaudit_tui", *map(str, args)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def yaml_string(text: str) -> str:
    """``text`` as a YAML double-quoted scalar, every non-ASCII or control character escaped
    (a YAML stream may not hold C0/C1 controls raw)."""
    body = "".join(c if " " <= c <= "~" and c not in '"\\' else f"\\U{ord(c):08x}" for c in text)
    return f'"{body}"'


def hostile_log(tmp_path: Path) -> Path:
    log = tmp_path / "audit.log"
    log.write_bytes(lines(ui_event(0, user=HOSTILE, name=HOSTILE)))
    return log


def test_the_expected_form_is_the_sanitizers() -> None:
    from kaudit_tui.core.sanitize import sanitize

    assert sanitize(HOSTILE) == SHOWN


async def test_ui_table(tmp_path: Path) -> None:
    app = make_app(hostile_log(tmp_path))
    async with app.run_test(size=(400, 20)) as pilot:
        await loaded(pilot, app, 1)
        text = "".join(segment.text for segment in app.table.render_line(0))
        assert_shown(text)
        assert text.count(SHOWN) == 2  # user and name


async def test_ui_policy_warning(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"{POLICY}- level: None\n  {yaml_string(HOSTILE)}: 1\n")
    app = make_app(hostile_log(tmp_path), policy=load_policy(str(policy)))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app._notifications))
        (note,) = [n for n in app._notifications if n.title == "policy warning"]
        assert_shown(note.message)
        assert f'unknown field "{SHOWN}"' in note.message


def test_stats(tmp_path: Path) -> None:
    done = kaudit("--stats", hostile_log(tmp_path))
    assert done.returncode == 0, done.stderr
    assert_shown(done.stdout)
    assert f"\n           1  {SHOWN}\n" in done.stdout  # the user


def test_where(tmp_path: Path) -> None:
    log = f"/var/log/{HOSTILE}.log"
    text = manifest(
        ["--audit-log-path=LOG", "--audit-policy-file=/etc/kubernetes/audit-policy.yaml"],
        mounts="    - {mountPath: /var/log, name: log}\n",
        volumes="  - {name: log, hostPath: {path: /var/log}}\n",
    )
    text = text.replace("'--audit-log-path=LOG'", yaml_string(f"--audit-log-path={log}"))
    write(tmp_path, "/etc/kubernetes/manifests/kube-apiserver.yaml", text)
    write(tmp_path, log, "")
    done = kaudit("--where", "--root", tmp_path)
    assert done.returncode == 0, done.stderr
    assert_shown(done.stdout)
    assert f"  log       {tmp_path}/var/log/{SHOWN}.log\n" in done.stdout
    assert "does not exist" not in done.stdout  # the path was read as the node has it


def test_policy_warning_on_stderr(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"{POLICY}- level: None\n  {yaml_string(HOSTILE)}: 1\n")
    done = kaudit("--stats", "--policy", policy, hostile_log(tmp_path))
    assert done.returncode == 0, done.stderr
    assert_shown(done.stderr)
    assert f'unknown field "{SHOWN}"' in done.stderr


def test_policy_error(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"{POLICY}- level: {yaml_string(HOSTILE)}\n")
    done = kaudit("--stats", "--policy", policy, hostile_log(tmp_path))
    assert done.returncode == 2
    assert_shown(done.stderr)
    assert f'Unsupported value: "{SHOWN}"' in done.stderr


def test_policy_file_name(tmp_path: Path) -> None:
    policy = tmp_path / f"{HOSTILE}.yaml"
    policy.write_text(f"{POLICY}- level: Bogus\n")
    done = kaudit("--stats", "--policy", policy, hostile_log(tmp_path))
    assert done.returncode == 2
    assert_shown(done.stderr)
    assert f"{SHOWN}.yaml" in done.stderr


def test_missing_file(tmp_path: Path) -> None:
    done = kaudit("--stats", tmp_path / f"{HOSTILE}.log")
    assert done.returncode == 1
    assert_shown(done.stderr)
    assert f"{SHOWN}.log: no such file" in done.stderr


def hostile_write_log(tmp_path: Path) -> Path:
    """A patch by a hostile user of an object with a hostile name, its body changing a label
    to a hostile value (the diff shows it)."""
    log = tmp_path / "audit.log"
    before = {"kind": "Pod", "metadata": {"name": HOSTILE, "labels": {"a": "b"}}}
    after = {"kind": "Pod", "metadata": {"name": HOSTILE, "labels": {"a": HOSTILE}}}
    log.write_bytes(lines(
        ui_event(0, user=HOSTILE, name=HOSTILE, level="RequestResponse", response_object=before),
        ui_event(1, user=HOSTILE, name=HOSTILE, verb="patch", level="RequestResponse",
                 request_object={"metadata": {"labels": {"a": HOSTILE}}},
                 response_object=after),
    ))  # fmt: skip
    return log


def test_history(tmp_path: Path) -> None:
    done = kaudit("--history", f"pods/default/{HOSTILE}", hostile_write_log(tmp_path))
    assert done.returncode == 0, done.stderr
    assert_shown(done.stdout)
    assert f"history of pods/default/{SHOWN}: 2 requests (1 change)" in done.stdout
    assert f"  patch (merge patch)  {SHOWN}  200  " in done.stdout


async def test_ui_history(tmp_path: Path) -> None:
    from kaudit_tui.ui.screens.history import HistoryScreen

    app = make_app(hostile_write_log(tmp_path))
    async with app.run_test(size=(400, 30)) as pilot:
        await loaded(pilot, app, 2)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.rendered >= 1)
        static = screen.query_one("#history-text")
        text = "\n".join(
            "".join(segment.text for segment in line)
            for line in static.render_lines(static.region.reset_offset)
        )
        assert_shown(text.replace("\n", " "))
        assert f"patch (merge patch)  {SHOWN}  200" in text
        title = "".join(s.text for s in screen.query_one("#history-title").render_line(0))
        assert f"history of pods/default/{SHOWN}" in title
