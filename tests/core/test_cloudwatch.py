"""EKS audit events from CloudWatch Logs, in every form its tools write them, detected from the
data: each form of a real log gives that log's events and ``--stats``."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from kaudit_tui.core.ingest import Ingestor, _Array
from kaudit_tui.core.segments import FileReader
from kaudit_tui.core.store import EventStore
from tests.conftest import LOGS, index_files
from tests.core import cloudwatch_forms as cw
from tests.events import event_line

SAMPLE = LOGS / "liggitt-audit2rbac-demo-v1-cleaned.log"
OTHER_LOGS = [
    # other control-plane logs of the same log group: not audit events
    'I1114 22:13:20.123456      10 controller.go:123] "Starting controller" name="job"',
    'time="2023-11-14T22:13:20Z" level=info msg="access granted" arn="arn:aws:iam::1:role/n"',
    '{"level":"info","ts":1700000000.5,"msg":"leader elected","lease":"kube-scheduler"}',
]


def message(**fields: object) -> str:
    """An audit event as the message of a log event: the apiserver's line, no newline."""
    return event_line(**fields).decode().rstrip("\n")


def sample_messages() -> list[str]:
    return [line for line in SAMPLE.read_text().splitlines() if line.strip()]


def mixed_messages() -> list[str]:
    mixed = []
    for index, message in enumerate(sample_messages()):
        mixed.append(message)
        if index % 4 == 0:
            mixed.append(OTHER_LOGS[index % len(OTHER_LOGS)])
    return mixed


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "kaudit_tui", *args], capture_output=True, input=stdin, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result


def without_cluster(stats: str) -> tuple[str, str]:
    """``--stats`` text without its cluster section, and that section."""
    sections = stats.split("\n\n")
    clusters = [s for s in sections if s.startswith("cluster\n")]
    return "\n\n".join(s for s in sections if not s.startswith("cluster\n")), "".join(clusters)


@pytest.fixture(scope="module")
def plain() -> subprocess.CompletedProcess:
    return run("--print", "--stats", str(SAMPLE))


@pytest.fixture(scope="module")
def form_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return cw.write(tmp_path_factory.mktemp("eks"), sample_messages())


@pytest.mark.parametrize("form", sorted(cw.forms(["{}"])))
def test_each_form_gives_the_events_and_stats_of_the_plain_log(
    form: str, form_paths: dict[str, Path], plain: subprocess.CompletedProcess
) -> None:
    result = run("--print", "--stats", str(form_paths[form]))
    stats, clusters = without_cluster(result.stderr.decode())
    assert stats == plain.stderr.decode()
    assert stats.startswith("37 / 37 events (0 lines skipped)")  # envelope is not skipped
    if form in cw.WITH_CLUSTER:  # the log group names the cluster
        assert clusters == f"cluster\n          37  {cw.CLUSTER}"
    else:
        assert clusters == ""
    if form.startswith("tail-json"):  # the message was pretty-printed: same JSON, re-compacted
        assert [orjson.loads(line) for line in result.stdout.splitlines()] == [
            orjson.loads(line) for line in plain.stdout.splitlines()
        ]
    else:  # each event exactly as the apiserver logged it
        assert result.stdout == plain.stdout


@pytest.mark.parametrize("form", ["firehose-gzip", "subscription-gzip"])
def test_gzip_piped_in_is_recognised_from_its_content(
    form: str, form_paths: dict[str, Path], plain: subprocess.CompletedProcess
) -> None:
    """``aws s3 cp s3://BUCKET/OBJECT - | kaudit-tui``: no name to go by."""
    result = run("--print", "--stats", stdin=form_paths[form].read_bytes())
    assert without_cluster(result.stderr.decode())[0] == plain.stderr.decode()
    assert result.stdout == plain.stdout


def test_the_cluster_of_the_log_group_is_a_query_field(form_paths: dict[str, Path]) -> None:
    query = f"cluster:{cw.CLUSTER[:4]}*"
    found = run("--print", "-q", query, str(form_paths["firehose-gzip"])).stdout
    assert len(found.splitlines()) == 37
    assert run("--print", "-q", query, str(form_paths["tail-detailed"])).stdout == b""


def store_rows(store: EventStore) -> list[dict]:
    return [{**store.row(r), "source": None} for r in range(store.first_id, store.next_id)]


def test_other_logs_of_the_group_are_skipped_and_counted_alike_in_every_form(
    tmp_path: Path,
) -> None:
    messages = mixed_messages()
    plain_path = tmp_path / "plain.log"
    plain_path.write_text("\n".join(messages) + "\n")
    plain = index_files(plain_path)
    others = len(messages) - 37
    assert (len(plain), plain.skips.lines) == (37, others)
    for form, path in cw.write(tmp_path, messages).items():
        if form.endswith("gzip"):  # decompressed by the source; the content is the same
            path.write_bytes(gzip.decompress(path.read_bytes()))
        store = index_files(path)
        if form == "subscription-gzip":
            assert (len(store), store.skips.lines) == (37, others), form
            continue
        assert store.skips.lines == others, form
        assert store.skips.counts == plain.skips.counts, form
        rows = store_rows(store)
        if form in cw.WITH_CLUSTER:
            assert {row.pop("cluster") for row in rows} == {cw.CLUSTER}
            rows = [{**row, "cluster": ""} for row in rows]
        assert rows == store_rows(plain), form


def test_a_pretty_printed_page_is_read_one_log_event_at_a_time(tmp_path: Path) -> None:
    messages = [message(name=f"p{n}") for n in range(2000)]
    data = cw.pages(cw.log_events(messages), len(messages), cw.FILTER_KEYS, {})
    path = tmp_path / "page"
    path.write_bytes(data)
    store = EventStore()
    ingestor = Ingestor(store)
    reader = FileReader(str(path))
    seg = store.segment_id(reader)
    offset, most = 0, 0
    while offset < len(data):
        end = data.rfind(b"\n", offset, offset + 4096) + 1
        ingestor.feed(reader, offset, data[offset:end])
        offset = end
        pending = ingestor._documents.get(seg)
        if type(pending) is _Array and pending.element is not None:
            most = max(most, pending.element.size)
    ingestor.finish(reader)
    assert 0 < most < 1000  # never more than the log event being assembled
    assert len(store) == 2000 and not store.skips.counts
    assert store.event_json(store.next_id - 1) == messages[-1].encode()


def test_a_message_ending_like_two_joined_objects_does_not_split_a_firehose_record(
    tmp_path: Path,
) -> None:
    messages = [message(name="a"), 'odd text ending in }{"', message()]
    payload = cw.payloads(cw.log_events(messages), 3)
    path = tmp_path / "object"
    path.write_bytes(cw.compact(payload[0]) + cw.compact(cw.CONTROL) + cw.compact(payload[0]))
    store = index_files(path)
    assert len(store) == 4
    assert dict(store.skips.counts) == {"not JSON or a legacy audit line": 2}


def test_damaged_envelopes_are_skipped_without_losing_what_follows(tmp_path: Path) -> None:
    messages = [message(name=f"p{n}") for n in range(3)]
    events = cw.log_events(messages)
    detailed = cw.tail(events, "detailed", True).splitlines(keepends=True)
    payload = base64.b64encode(gzip.compress(cw.compact(cw.payloads(events, 3)[0])))
    data = (
        detailed[0][:-40].rstrip(b",\n") + b",\n"  # a message cut short (looks like an opening)
        + detailed[1]
        + payload[:-20] + b"\n"  # base64 cut short
        + b"H4sIAAAAAAAA/ not base64\n"
        + detailed[2]
    )  # fmt: skip
    store = index_files(_write(tmp_path / "mixed", data))
    assert [store.row(r)["name"] for r in range(store.first_id, store.next_id)] == ["p1", "p2"]
    assert dict(store.skips.counts) == {"truncated JSON": 1, "not base64 text of gzip data": 2}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_only_control_messages_is_nothing_skipped(tmp_path: Path) -> None:
    store = index_files(_write(tmp_path / "object", cw.compact(cw.CONTROL) * 3))
    assert len(store) == 0 and not store.skips.counts


class Reader:
    """``kaudit-tui --print`` reading a real pipe; its stdout collected as it comes."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kaudit_tui", "--print", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: list[bytes] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_lines(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.lines) < count:
            assert self.process.poll() is None
            assert time.monotonic() < deadline, f"{len(self.lines)} of {count} printed"
            time.sleep(0.02)


@pytest.mark.parametrize("form", ["detailed", "json"])
def test_aws_logs_tail_follow_through_a_pipe_is_read_live(form: str) -> None:
    messages = [message(name=f"live-{n}") for n in range(4)]
    output = cw.tail(cw.log_events(messages), form, True)
    starts = [i for i, line in enumerate(output.splitlines(keepends=True)) if line[:1] == b"\x1b"]
    lines = output.splitlines(keepends=True)
    reader = Reader()
    assert reader.process.stdin is not None
    try:
        for number, start in enumerate(starts):
            end = starts[number + 1] if number + 1 < len(starts) else len(lines)
            for line in lines[start:end]:  # as `aws logs tail --follow` writes: line by line
                reader.process.stdin.write(line)
                reader.process.stdin.flush()
            reader.wait_lines(number + 1)  # printed while the pipe stays open
        reader.process.stdin.close()
        assert reader.process.wait(30) == 0
    finally:
        if reader.process.poll() is None:
            reader.process.kill()
    reader._thread.join(5)
    assert [json.loads(line)["objectRef"]["name"] for line in reader.lines] == [
        f"live-{n}" for n in range(4)
    ]


def test_a_firehose_object_may_be_longer_than_the_line_limit(tmp_path: Path) -> None:
    """Firehose buffers up to 128 MiB into one object with no newline in it."""
    messages = [message(name=f"p{n}") for n in range(30)]
    data = b"".join(cw.compact(p) for p in cw.payloads(cw.log_events(messages), 4))
    path = _write(tmp_path / "object", data)
    limit = len(data) // 3
    store = EventStore()
    ingestor = Ingestor(store, max_line=limit)
    reader = FileReader(str(path))
    ingestor.feed(reader, 0, data)
    ingestor.finish(reader)
    assert len(store) == 30 and not store.skips.counts
    too_long = _write(tmp_path / "line", b'{"kind":"Event",' + b" " * limit + b"}\n")
    ingestor.feed(FileReader(str(too_long)), 0, too_long.read_bytes())
    assert dict(store.skips.counts) == {f"line longer than {limit} bytes": 1}
