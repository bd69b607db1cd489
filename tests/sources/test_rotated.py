"""Rotated sets: backups found by name, read oldest first by the time in the name, active last."""

from __future__ import annotations

import gzip
import random
import resource
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from kaudit_tui.sources import open_sources
from kaudit_tui.sources.rotated import group_paths, parse_backup

from .writers import Live, collect, ids, timed_lines


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("audit-2026-11-26T10-00-00.000.log", ("audit.log", "2026-11-26 10:00:00", False)),
        ("audit-2026-11-26T10-00-00.123.log.gz", ("audit.log", "2026-11-26 10:00:00.123000", True)),
        ("audit-2026-11-26T10-00-00.000", ("audit", "2026-11-26 10:00:00", False)),
        (
            "kube-apiserver-audit-2026-01-02T03-04-05.006.json",
            ("kube-apiserver-audit.json", "2026-01-02 03:04:05.006000", False),
        ),
        ("logs/a.b-2026-11-26T10-00-00.000.log", ("logs/a.b.log", "2026-11-26 10:00:00", False)),
        ("audit.log", None),
        ("audit.log.gz", None),
        ("audit-2026-13-26T10-00-00.000.log", None),  # month 13: not a timestamp
        ("audit-2026-11-26T10:00:00.000.log", None),  # colons are never in lumberjack names
    ],
)
def test_backup_names(name: str, expected: tuple[str, str, bool] | None) -> None:
    parsed = parse_backup(name)
    if expected is None:
        assert parsed is None
    else:
        active, time, compressed = expected
        assert parsed == (active, datetime.fromisoformat(time), compressed)


def test_paths_group_into_sets_in_order_of_appearance() -> None:
    groups = group_paths(
        [
            "n2/audit.log",
            "n1/audit-2026-11-26T10-00-00.000.log.gz",
            "n1/audit.log",
            "n1/audit-2026-11-26T09-00-00.000.log",
            "n1/audit-2026-11-26T10-00-00.000.log",
            "other.log",
        ]
    )
    assert [g.label for g in groups] == ["n2/audit.log", "n1/audit.log", "other.log"]
    n1 = groups[1]
    assert n1.active == "n1/audit.log"
    assert [(b.plain, b.gzip) for b in n1.backups] == [
        ("n1/audit-2026-11-26T09-00-00.000.log", None),
        ("n1/audit-2026-11-26T10-00-00.000.log", "n1/audit-2026-11-26T10-00-00.000.log.gz"),
    ]


def make_set(tmp_path: Path) -> tuple[list[str], list[str]]:
    """Five backups (one plain with a partial .gz beside it) and the active file."""
    times = ["2026-11-26T08-59-59.999", "2026-11-26T09-00-00.000", "2026-11-26T10-30-00.500",
             "2026-11-27T00-00-00.000", "2026-12-01T23-59-59.001"]  # fmt: skip
    paths, order = [], []
    for n, time in enumerate(times):
        data = timed_lines(f"b{n}", 100)
        plain = tmp_path / f"audit-{time}.log"
        packed = tmp_path / f"audit-{time}.log.gz"
        if n % 2:
            packed.write_bytes(gzip.compress(data))
            paths.append(str(packed))
        else:
            plain.write_bytes(data)
            paths.append(str(plain))
        if n == 2:  # lumberjack still compressing: the plain file must win
            whole = gzip.compress(data)
            packed.write_bytes(whole[: len(whole) // 3])
            paths.append(str(packed))
        order.append(f"b{n}")
    active = tmp_path / "audit.log"
    active.write_bytes(timed_lines("active", 100))
    paths.append(str(active))
    order.append("active")
    return paths, order


@pytest.mark.parametrize("follow", [False, True])
async def test_rotated_set_read_by_time_in_name_active_last(tmp_path: Path, follow: bool) -> None:
    paths, order = make_set(tmp_path)
    random.Random(7).shuffle(paths)
    sources = open_sources(paths, follow=follow, poll_interval=0.02)
    assert sources.labels == [str(tmp_path / "audit.log")]
    if follow:
        async with Live(sources) as live:
            await live.wait_for(lambda got: "following" in got.states())
        got = live.got
    else:
        got = await collect(sources)
    expected = sum((ids(prefix, 100) for prefix in order), start=ids("x", 0))
    assert got.audit_ids == expected
    prefixes = list(dict.fromkeys(audit_id.split("-")[0] for audit_id in got.ordered_ids))
    assert prefixes == order
    assert "error" not in got.states(), "the partial .gz beside its plain file is not read"
    assert set(got.labels) == {str(tmp_path / "audit.log")}


async def test_backup_compressed_after_the_glob_is_read_from_its_gz(tmp_path: Path) -> None:
    plain = tmp_path / "audit-2026-11-26T10-00-00.000.log"
    packed = tmp_path / "audit-2026-11-26T10-00-00.000.log.gz"
    packed.write_bytes(gzip.compress(timed_lines("z", 30)))  # the plain one is already gone
    got = await collect(open_sources([str(plain), str(packed)], follow=False))
    assert got.audit_ids == ids("z", 30)


async def test_only_backups_given_is_a_finished_set(tmp_path: Path) -> None:
    first = tmp_path / "audit-2026-11-26T10-00-00.000.log"
    second = tmp_path / "audit-2026-11-26T11-00-00.000.log"
    first.write_bytes(timed_lines("f", 10))
    second.write_bytes(timed_lines("s", 10))
    got = await collect(open_sources([str(second), str(first)], follow=True))
    assert got.ordered_ids == [f"f-{i}" for i in range(10)] + [f"s-{i}" for i in range(10)]
    assert got.states()[-1] == "ended"


OPEN_MANY = """
import glob, resource, sys
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
from kaudit_tui.sources import open_sources
sources = open_sources(sorted(glob.glob(sys.argv[1] + "/audit-*.log")), follow=False)
print(len(sources.labels), resource.getrlimit(resource.RLIMIT_NOFILE)[0] > 1024)
"""


def test_a_set_larger_than_the_descriptor_limit_opens(tmp_path: Path) -> None:
    """Months of backups kept by pre-1.36 defaults: more files than a 1024-descriptor limit."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 4000:
        pytest.skip(f"hard descriptor limit {hard} is below what this test needs")
    for n in range(1500):
        stamp = f"2026-11-{1 + n // 1440:02d}T{n // 60 % 24:02d}-{n % 60:02d}-00.000"
        (tmp_path / f"audit-{stamp}.log").write_bytes(timed_lines(f"b{n}", 1))
    result = subprocess.run(
        [sys.executable, "-c", OPEN_MANY, str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "True"]
