"""The webhook receiver under a burst: several senders at a sustained rate (prints figures).

    .venv/bin/python tests/bench/bench_webhook.py [--seconds 10] [--rate 20000] [--senders 4]

Starts ``kaudit-tui --listen 127.0.0.1:0 --print`` (output to a file), then ``--senders``
sender processes that each POST ``EventList`` batches of realistic events (100 ms worth each,
as kube-apiserver's batching backend sends them) at their share of ``--rate`` for
``--seconds``, over one kept-alive connection each. Then SIGTERM. Printed: events sent and
acknowledged, the rate achieved, acknowledgement latency (median, 99th percentile, max), how
long the printed output trailed the last acknowledgement, the receiver's peak resident memory,
and whether every acknowledged event was printed exactly once.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import orjson  # noqa: E402

from tests.bench.generate import events  # noqa: E402

BATCH_SECONDS = 0.1


def sender_main(port: int, index: int, rate: int, seconds: float, out: str) -> None:
    """One sender: prepared batches at ``rate`` events/s; writes acked IDs and latencies."""
    per_batch = max(1, int(rate * BATCH_SECONDS))
    batches = int(seconds / BATCH_SECONDS)
    source = events(per_batch * batches, seed=100 + index)
    bodies = []
    for number in range(batches):
        items = []
        for k, line in enumerate(next(source) for _ in range(per_batch)):
            event = orjson.loads(line)
            event["auditID"] = f"{index:08x}-0000-4000-8000-{number * per_batch + k:012x}"
            items.append(event)
        body = orjson.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": items})
        bodies.append((body, [item["auditID"] for item in items]))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    acked: list[str] = []
    latencies: list[float] = []
    began = time.time()
    start = time.monotonic()
    for number, (body, ids) in enumerate(bodies):
        delay = start + number * BATCH_SECONDS - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sent = time.monotonic()
        connection.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        latencies.append(time.monotonic() - sent)
        if response.status == 200:
            acked.extend(ids)
    connection.close()
    Path(out).write_bytes(orjson.dumps({"acked": acked, "latencies": latencies,
                                        "began": began, "end": time.time()}))  # fmt: skip


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=20_000)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--sender", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sender:
        port, index, rate, seconds, out = args.sender
        sender_main(int(port), int(index), int(rate), float(seconds), out)
        return
    with tempfile.TemporaryDirectory(prefix="kaudit-bench-") as tmp:
        out, err = Path(tmp) / "out", Path(tmp) / "err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            receiver = subprocess.Popen(
                [sys.executable, "-m", "kaudit_tui", "--listen", "127.0.0.1:0", "--print"],
                stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                env={**os.environ, "KAUDIT_TUI_SPOOL_DIR": tmp},
            )  # fmt: skip
        while b"\n" not in err.read_bytes():
            time.sleep(0.02)
        port = int(err.read_text().splitlines()[0].rsplit(":", 1)[1].strip("/"))
        share = args.rate // args.senders
        results = [Path(tmp) / f"sender{i}" for i in range(args.senders)]
        senders = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--sender",
                    str(port),
                    str(i),
                    str(share),
                    str(args.seconds),
                    str(results[i]),
                ]
            )  # fmt: skip
            for i in range(args.senders)
        ]
        for sender in senders:
            sender.wait()
        began = min(orjson.loads(r.read_bytes())["began"] for r in results)
        last_ack = max(orjson.loads(r.read_bytes())["end"] for r in results)
        acked = [i for r in results for i in orjson.loads(r.read_bytes())["acked"]]
        latencies = sorted(x for r in results for x in orjson.loads(r.read_bytes())["latencies"])
        while out.read_bytes().count(b"\n") < len(acked) and time.time() - last_ack < 120:
            time.sleep(0.05)
        trailed = time.time() - last_ack
        rss = peak_rss(receiver.pid)
        receiver.send_signal(signal.SIGTERM)
        code = receiver.wait()
        printed = [orjson.loads(line)["auditID"] for line in out.read_bytes().splitlines()]
        exact = sorted(printed) == sorted(acked) and len(set(printed)) == len(printed)
        sent = args.senders * int(share * BATCH_SECONDS) * int(args.seconds / BATCH_SECONDS)
        elapsed = last_ack - began
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        print(
            f"sent {sent:,} events in {elapsed:.1f} s from {args.senders} senders "
            f"({sent / elapsed:,.0f} events/s); acknowledged {len(acked):,}"
        )
        print(
            f"ack latency: median {statistics.median(latencies) * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms"
        )
        print(f"output trailed the last ack by {trailed:.2f} s (that poll included)")
        print(f"receiver peak RSS {rss / 2**20:.0f} MiB; exit {code}; "
              f"every acknowledged event printed exactly once: {exact}")  # fmt: skip


if __name__ == "__main__":
    main()
