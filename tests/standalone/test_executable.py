"""The standalone executable (``dist/kaudit-tui``) does what the installed program does, with
no Python on PATH, from an empty directory, in a minimal environment.

Building takes about a minute, so these tests run on demand: with ``KAUDIT_TEST_STANDALONE=1``
(the executable is built unless ``dist/kaudit-tui`` is newer than every source file), or when
such a fresh executable already exists. Otherwise they are skipped, saying why.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.tmux import TMUX, Terminal

REPO = Path(__file__).resolve().parents[2]
EXECUTABLE = REPO / "dist" / "kaudit-tui"
LOGS = REPO / "tests" / "data" / "logs"
DEMO_POLICY = REPO / "tui" / "demo" / "demo-policy.yaml"
TOOLS = ("sh", "bash", "env", "sleep", "cat")
"""All the minimal PATH offers (no Python)."""
SAMPLES = (
    "falco-k8s-audit-trace-files.jsonl",
    "k8s-website-docs-2017-legacy-format.log",
    "panther-analysis-k8s-audit-test-events.jsonl",
    "sysdig-aks-eventhub-records.json",
    "liggitt-audit2rbac-demo-v1beta1-original.log",
)


def _newest_source() -> float:
    paths = [REPO / "pyproject.toml", *(REPO / "tui").rglob("*"), *(REPO / "themes").rglob("*")]
    return max(p.stat().st_mtime for p in paths if p.is_file() and "__pycache__" not in p.parts)


def _fresh() -> bool:
    return EXECUTABLE.is_file() and EXECUTABLE.stat().st_mtime >= _newest_source()


@pytest.fixture(scope="module")
def executable() -> Path:
    if os.environ.get("KAUDIT_TEST_STANDALONE") == "1":
        if not _fresh():
            pytest.importorskip("PyInstaller", reason="building needs pyinstaller==6.22.3")
            from kaudit_tui.standalone.build import build

            build(EXECUTABLE.parent)
    elif not EXECUTABLE.is_file():
        pytest.skip(
            "no dist/kaudit-tui: KAUDIT_TEST_STANDALONE=1 builds it (about a minute) and tests it"
        )
    elif not _fresh():
        pytest.skip("dist/kaudit-tui is older than the sources: KAUDIT_TEST_STANDALONE=1 rebuilds")
    return EXECUTABLE


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A minimal environment: TERM, and a PATH of a few tools and no Python."""
    tools = tmp_path_factory.mktemp("bin")
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (tools / tool).symlink_to(found)
    assert shutil.which("python3", path=str(tools)) is None
    assert shutil.which("python", path=str(tools)) is None
    return {"TERM": "xterm-256color", "PATH": str(tools)}


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    directory = tmp_path / "empty"
    directory.mkdir()
    return directory


def run_executable(
    executable: Path, env: dict[str, str], cwd: Path, *args: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(executable), *args], env=env, cwd=cwd, capture_output=True, timeout=120
    )


def run_installed(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kaudit_tui", *args], cwd=cwd, capture_output=True, timeout=120
    )


def test_version_says_standalone_with_commit_and_python(executable, bare, empty) -> None:  # noqa: ANN001
    done = run_executable(executable, bare, empty, "--version")
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode().strip()
    assert re.fullmatch(
        r"kaudit-tui \d+\.\d+\.\d+ "
        r"\(standalone, commit [0-9a-f]{7,}(-dirty)?, Python 3\.\d+\.\d+\)",
        text,
    ), text
    assert list(empty.iterdir()) == []


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize(
    "mode",
    [
        ("--stats",),
        ("--stats", "--json", "--top", "3"),
        ("--print", "-q", "verb:get,list,create"),
        ("--explain", "-p", str(DEMO_POLICY)),
        ("--policy-report", "-p", str(DEMO_POLICY)),
    ],
    ids=["stats", "stats-json", "print", "explain", "policy-report"],
)
def test_headless_modes_give_what_the_installed_program_gives(
    executable,
    bare,
    empty,
    sample: str,
    mode: tuple[str, ...],  # noqa: ANN001
) -> None:
    args = (*mode, str(LOGS / sample))
    theirs = run_installed(empty, *args)
    ours = run_executable(executable, bare, empty, *args)
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        theirs.returncode,
        theirs.stdout,
        theirs.stderr,
    )
    assert theirs.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("--demo", "--stats"),
        ("--where", "--root", str(REPO / "tests" / "data" / "nodes" / "kubeadm")),
        ("--stats", "-q", "verb:[", str(LOGS / SAMPLES[0])),
        ("--stats", "no-such.log"),
    ],
    ids=["demo-stats", "where", "bad-query", "missing-file"],
)
def test_bundled_data_discovery_and_errors_as_installed(executable, bare, empty, args) -> None:  # noqa: ANN001
    theirs = run_installed(empty, *args)
    ours = run_executable(executable, bare, empty, *args)
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        theirs.returncode,
        theirs.stdout,
        theirs.stderr,
    )


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for term in opened:
        term.close()


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)")
def test_the_ui_opens_filters_shows_an_event_help_and_themes_and_quits_with_the_demo(
    executable,
    bare,
    empty,
    tmp_path: Path,
    terminals: list[Terminal],  # noqa: ANN001
) -> None:
    env = " ".join(f"{k}={v}" for k, v in bare.items())
    command = f"cd {empty} && env -i {env} HOME={empty} {executable} --demo --theme kaudit-light"
    term = Terminal(command, tmp_path)
    terminals.append(term)
    screen = term.wait_for(
        lambda s: "RULE" in s and re.search(r"\b[1-9][\d,]* / [\d,]+ events", s) is not None
    )
    assert "policy" in screen
    term.keys("/")
    term.type("verb:delete")
    term.keys("Enter")
    screen = term.wait_for(
        lambda s: (
            "verb:delete" in s
            and " get " not in s
            and re.search(r"\b[1-9][\d,]* / [\d,]+ events", s) is not None
        )
    )
    assert " delete " in screen
    term.keys("Escape")  # the table has the focus again
    time.sleep(0.5)  # a key right after Escape would be read as Alt+key
    term.keys("Enter")  # the detail view: the event read back from the log, highlighted
    term.wait_for('"auditID"')
    term.keys("Escape")
    term.wait_for(lambda s: '"auditID"' not in s)
    time.sleep(0.5)
    term.keys("?")  # the keys (a screen whose widgets Textual imports lazily)
    term.wait_for("Moving")
    term.keys("Escape")
    term.wait_for(lambda s: "Moving" not in s)
    time.sleep(0.5)
    term.keys("C-p")  # the command palette, and in it the bundled themes
    term.type("theme")
    term.wait_for(lambda s: "theme" in s.lower() and "Follow" not in s)
    term.keys("Enter")
    term.wait_for(lambda s: "kaudit-dark" in s and "kaudit-light" in s)
    term.keys("Escape")
    term.wait_for(lambda s: "kaudit-dark" not in s)
    time.sleep(0.5)
    term.keys("q")
    assert term.exit_code() == 0
    assert term.pane("#{alternate_on}") == "0"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _helpers(root: int) -> dict[int, tuple[int, int]]:
    """Processes under ``root`` started with the helper argument: pid -> (session, CPU ticks)."""
    helpers, todo = {}, [root]
    while todo:
        pid = todo.pop()
        for child in _children(pid):
            todo.append(child)
            try:
                argv = (Path("/proc") / str(child) / "cmdline").read_bytes().split(b"\0")
                fields = (Path("/proc") / str(child) / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if b"--index-helper" in argv:
                helpers[child] = (int(fields[3]), int(fields[11]) + int(fields[12]))
    return helpers


@pytest.fixture(scope="module")
def large_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.bench.generate import write

    path = tmp_path_factory.mktemp("large") / "audit-300k.jsonl"
    write(300_000, str(path))
    return path


def test_a_large_log_is_indexed_by_the_executable_as_by_the_installed_program(
    executable,
    bare,
    empty,
    large_log: Path,  # noqa: ANN001
) -> None:
    process = subprocess.Popen(
        [str(executable), "--stats", str(large_log)],
        env=bare, cwd=empty, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    seen: dict[int, tuple[int, int]] = {}
    while process.poll() is None:
        for pid, (session, ticks) in _helpers(process.pid).items():
            seen[pid] = (session, max(ticks, seen.get(pid, (0, 0))[1]))
        time.sleep(0.05)
    out, err = process.communicate()
    assert process.returncode == 0, err
    assert out.decode().startswith("300,000 / 300,000 events (0 lines skipped)")
    assert out == run_installed(empty, "--stats", str(large_log)).stdout
    # The compiled scanner is bundled: indexing uses two threads and no helper process.
    assert not seen, f"helper processes seen: {seen}"
