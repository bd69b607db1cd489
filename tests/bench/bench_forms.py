"""Indexing speed of the EKS and GKE input forms against the plain audit log they hold.

Run: ``python tests/bench/bench_forms.py [EVENTS] [--pairs N] [--forms NAME,...]`` (default
100,000 events, 3 pairs, every form but GKE's YAML). It writes a log with the project's
generator, then the same events in each form a user pipes in during an incident:

- EKS / CloudWatch Logs, built by ``tests/core/cloudwatch_forms.py`` from the log's lines:
  ``aws logs tail`` (``detailed``, ``short``, ``json``; with colour), ``filter-log-events``
  and ``get-log-events`` pages (awscli's pretty-printed JSON, one document per page, and all
  pages merged into one; compact), subscription payloads as base64 lines, Firehose objects;
- GKE / Cloud Logging: each event as the LogEntry GKE writes for it, as JSON lines and as
  ``gcloud logging read --format=json`` (one JSON array, 2-space indent), and ``yaml`` (the
  default output; slow by nature, only when named in ``--forms``).

For each form it runs whole ``kaudit-tui --stats`` processes, the form and the plain log in
turn (alternating which goes first), and prints each pair, then the medians: wall time of both,
their ratio, and CPU time (user + system, the helper process included). It also checks that
the form's ``--stats`` equals the plain log's (EKS; GKE forms against the GKE JSON lines), so a
figure never comes from a run that lost events.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.generate import write  # noqa: E402
from tests.core import cloudwatch_forms  # noqa: E402

EKS_FORMS = (
    "tail-detailed", "tail-detailed-color", "tail-short", "tail-json", "tail-json-color",
    "filter-log-events", "filter-log-events-merged", "filter-log-events-compact",
    "get-log-events", "subscription-base64", "firehose",
)  # fmt: skip
GKE_FORMS = ("gke-jsonl", "gke-json")
SLOW_FORMS = ("gke-yaml",)
HTTP_RPC = {200: 0, 201: 0, 400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 503: 14}


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    """User + system seconds of the process and its children (the helper process)."""
    stats: bytes


def kaudit_command(path: Path) -> list[str]:
    here = Path(sys.executable).with_name("kaudit-tui")
    program = [str(here)] if here.exists() else [sys.executable, "-m", "kaudit_tui"]
    return [*program, "--stats", str(path)]


def measure(path: Path, scratch: Path) -> Run:
    """``kaudit-tui --stats PATH`` to its end: wall and CPU time, and what it printed."""
    out = scratch / "stats.out"
    with open(out, "wb") as sink:
        start = time.perf_counter()
        process = subprocess.Popen(kaudit_command(path), stdout=sink, stderr=sink)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"kaudit-tui --stats {path} exited {process.returncode}")
    return Run(wall, usage.ru_utime + usage.ru_stime, out.read_bytes())


def gke_entry(event: dict) -> dict:
    """The Cloud Logging entry GKE writes for an audit event (see tui/core/gke.py)."""
    ref = event["objectRef"]
    group = ref.get("apiGroup") or "core"
    resource = f"{group}/v1/namespaces/{ref['namespace']}/{ref['resource']}"
    if ref.get("name"):
        resource += f"/{ref['name']}"
    first = group if group == "core" else ".".join(reversed(group.split(".")))
    code = event["responseStatus"]["code"]
    payload: dict = {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "authenticationInfo": {"principalEmail": event["user"]["username"]},
        "authorizationInfo": [
            {"granted": True, "permission": f"io.k8s.{ref['resource']}.{event['verb']}",
             "resource": resource},
        ],
        "methodName": f"io.k8s.{first}.v1.{ref['resource']}.{event['verb']}",
        "requestMetadata": {"callerIp": event["sourceIPs"][0],
                            "callerSuppliedUserAgent": event["userAgent"]},
        "resourceName": resource,
        "serviceName": "k8s.io",
        "status": {"code": HTTP_RPC.get(code, 2)},
    }  # fmt: skip
    return {
        "insertId": event["auditID"][:18],
        "labels": event["annotations"],
        "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
        "operation": {"first": True, "id": event["auditID"], "last": True,
                      "producer": "k8s.io"},
        "protoPayload": payload,
        "receiveTimestamp": event["stageTimestamp"],
        "resource": {"labels": {"cluster_name": "prod-1", "location": "europe-west1",
                                "project_id": "p"}, "type": "k8s_cluster"},
        "timestamp": event["stageTimestamp"],
    }  # fmt: skip


def write_forms(plain: Path, folder: Path, names: list[str]) -> dict[str, Path]:
    """Each form named in ``names`` in a file of its own."""
    lines = plain.read_bytes().splitlines()
    paths: dict[str, Path] = {}
    eks = [name for name in names if name in EKS_FORMS]
    if eks:
        built = cloudwatch_forms.forms([line.decode() for line in lines])
        for name in eks:
            paths[name] = folder / name
            paths[name].write_bytes(built[name])
    if any(name.startswith("gke-") for name in names):
        entries = [gke_entry(orjson.loads(line)) for line in lines]
        data = {
            "gke-jsonl": lambda: b"".join(orjson.dumps(e) + b"\n" for e in entries),
            "gke-json": lambda: orjson.dumps(entries, option=orjson.OPT_INDENT_2) + b"\n",
            "gke-yaml": lambda: "---\n".join(yaml.safe_dump(e, sort_keys=False) for e in entries),
        }
        for name in ("gke-jsonl", *names):  # GKE forms are compared with GKE's JSON lines
            if name.startswith("gke-") and name not in paths:
                text = data[name]()
                paths[name] = folder / f"{name}.log"
                paths[name].write_bytes(text if isinstance(text, bytes) else text.encode())
    return paths


def bench(
    name: str, form: Path, plain: Path, reference: bytes | None, pairs: int, scratch: Path
) -> None:
    """Time ``form`` against ``plain``; ``reference``: the ``--stats`` the form must give."""
    forms, plains = [], []
    for pair in range(pairs):
        order = [(form, forms), (plain, plains)]
        for path, runs in order if pair % 2 == 0 else reversed(order):
            runs.append(measure(path, scratch))
    same = all(_without_cluster(run.stats) == reference for run in forms)
    check = "n/a (other fields)" if reference is None else "yes" if same else "NO"
    ratios = [f.wall / p.wall for f, p in zip(forms, plains, strict=True)]
    wall = statistics.median(r.wall for r in forms), statistics.median(r.wall for r in plains)
    cpu = statistics.median(r.cpu for r in forms), statistics.median(r.cpu for r in plains)
    size = form.stat().st_size / 1e6
    print(f"{name:27} {size:7,.0f} MB  wall {wall[0]:6.2f} s vs {wall[1]:5.2f} s "
          f"ratio {statistics.median(ratios):4.2f}  CPU {cpu[0]:6.2f} s vs {cpu[1]:5.2f} s "
          f"ratio {cpu[0] / cpu[1]:4.2f}  same stats: {check}",
          flush=True)  # fmt: skip


def _without_cluster(stats: bytes) -> bytes:
    """``--stats`` output without its cluster section (only some forms name the cluster)."""
    sections = stats.split(b"\n\n")
    return b"\n\n".join(s for s in sections if not s.startswith(b"cluster\n"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("events", nargs="?", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument(
        "--forms",
        default=",".join(EKS_FORMS + GKE_FORMS),
        help=f"comma-separated, of: {', '.join(EKS_FORMS + GKE_FORMS + SLOW_FORMS)}",
    )
    parser.add_argument("--dir", type=Path, help="where to keep the generated files")
    args = parser.parse_args()
    names = [name for name in args.forms.split(",") if name]
    unknown = set(names) - set(EKS_FORMS + GKE_FORMS + SLOW_FORMS)
    if unknown:
        parser.error(f"unknown forms: {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="kaudit-bench-") as scratch:
        folder = args.dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        plain = folder / f"audit-{args.events}.log"
        if not plain.exists():
            write(args.events, str(plain))
        paths = write_forms(plain, folder, names)
        plain_stats = measure(plain, Path(scratch)).stats  # also brings the files into cache
        print(f"{args.events:,} events; plain log {plain.stat().st_size / 1e6:,.0f} MB; "
              f"medians of {args.pairs} pairs (form vs plain audit log)")  # fmt: skip
        gke_stats = b""
        for name in names:
            reference: bytes | None = _without_cluster(plain_stats)
            against = plain
            if name == "gke-jsonl":
                reference = None  # its events have no groups, and the cluster of each entry
            if name in ("gke-json", "gke-yaml"):
                # GKE entries are compared with the same entries as JSON lines
                if not gke_stats:
                    gke_stats = _without_cluster(measure(paths["gke-jsonl"], Path(scratch)).stats)
                reference, against = gke_stats, paths["gke-jsonl"]
            bench(name, paths[name], against, reference, args.pairs, Path(scratch))


if __name__ == "__main__":
    main()
