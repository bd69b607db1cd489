"""Policy evaluation throughput with the GCE policy over synthetic request shapes.

Run on demand (not part of the test suite)::

    python tests/bench/bench_policy.py            # 1,000,000 requests
    python tests/bench/bench_policy.py -n 200000

The requests imitate a busy cluster: kubelets and controllers polling, watching and
updating status, service accounts and people reading and writing, health checks, CRDs.
Object names are drawn from a large pool, so most requests are distinct as a whole;
what the cache exploits is that the GCE policy never looks at names.

Printed figures: decisions per second for each path, distinct cache keys, and the
overhead that evaluating adds to indexing at 150k and 250k events/s.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
from kaudit_tui.core.policy import (  # noqa: E402
    RequestAttributes,
    RequestFields,
    attributes_from_fields,
    load_policy,
)
from kaudit_tui.core.requestinfo import parse_request_uri  # noqa: E402

POLICY = ROOT / "tests" / "data" / "policies" / "gce.yaml"

AUTH = ("system:authenticated",)
NODES = ("system:nodes", "system:authenticated")


def _sa(ns: str, name: str) -> tuple[str, tuple[str, ...]]:
    groups = ("system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated")
    return f"system:serviceaccount:{ns}:{name}", groups


ACTORS = (
    [(f"system:node:pool-{i}", NODES) for i in range(40)]
    + [
        ("system:kube-proxy", AUTH),
        ("system:kube-controller-manager", AUTH),
        ("system:kube-scheduler", AUTH),
        ("system:apiserver", ("system:masters",)),
        ("cluster-autoscaler", AUTH),
        ("alice@example.com", ("dev", "system:authenticated")),
        ("system:anonymous", ("system:unauthenticated",)),
    ]
    + [
        _sa(ns, name)
        for ns in ("default", "kube-system", "prod")
        for name in ("default", "ci", "argo")
    ]
)
NAMESPACES = ["default", "kube-system", "prod", "staging", "monitoring"] + [
    f"team-{i}" for i in range(20)
]
TEMPLATES = [
    # (weight, method, uri template, needs a name)
    (20, "GET", "/api/v1/namespaces/{ns}/pods/{name}", True),
    (10, "PATCH", "/api/v1/namespaces/{ns}/pods/{name}/status", True),
    (10, "PUT", "/api/v1/nodes/{name}/status", True),
    (8, "GET", "/api/v1/nodes/{name}", True),
    (6, "GET", "/api/v1/namespaces/{ns}/configmaps/{name}", True),
    (6, "GET", "/api/v1/namespaces/{ns}/secrets/{name}", True),
    (6, "GET", "/apis/apps/v1/namespaces/{ns}/deployments?watch=true", False),
    (5, "GET", "/api/v1/endpoints?watch=1", False),
    (5, "PUT", "/api/v1/namespaces/kube-system/endpoints/{name}", True),
    (5, "GET", "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}", True),
    (4, "POST", "/api/v1/namespaces/{ns}/events", False),
    (4, "GET", "/healthz", False),
    (3, "GET", "/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods", False),
    (3, "PATCH", "/apis/apps/v1/namespaces/{ns}/deployments/{name}", True),
    (2, "POST", "/api/v1/namespaces/{ns}/pods", False),
    (2, "GET", "/apis/example.com/v1/namespaces/{ns}/widgets/{name}", True),
    (2, "DELETE", "/api/v1/namespaces/{ns}/pods", False),
    (1, "GET", "/metrics", False),
    (1, "POST", "/api/v1/namespaces/{ns}/serviceaccounts/{name}/token", True),
    (1, "GET", "/openapi/v2?timeout=32s", False),
]
Row = RequestFields


def make_rows(count: int, seed: int = 4) -> list[Row]:
    """Index-style rows: the fields an event index stores for each event."""
    rng = random.Random(seed)
    weights = [t[0] for t in TEMPLATES]
    parsed: dict[tuple[str, str], Row] = {}
    rows: list[Row] = []
    for _ in range(count):
        _, method, template, named = rng.choices(TEMPLATES, weights)[0]
        user, groups = rng.choice(ACTORS)
        uri = template.format(ns=rng.choice(NAMESPACES), name=f"obj-{rng.randrange(50_000)}")
        key = (method, uri)
        info = parsed.get(key)
        if info is None:
            r = parse_request_uri(uri, method)
            info = RequestFields(
                user=None,
                groups=(),
                verb=r.verb,
                is_resource=r.is_resource,
                request_uri=uri,
                namespace=r.namespace,
                api_group=r.api_group,
                resource=r.resource,
                subresource=r.subresource,
                name=r.name,
            )
            parsed[key] = info
        rows.append(info._replace(user=user, groups=groups))
    return rows


def timed(label: str, count: int, run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    elapsed = time.perf_counter() - start
    rate = count / elapsed
    each = 1e6 * elapsed / count
    print(f"  {label:<46} {elapsed:7.2f} s  {rate / 1e6:6.2f} M/s  {each:6.2f} µs each")
    return elapsed / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--events", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.events

    policy = load_policy(POLICY)
    evaluator = policy.evaluator
    print(f"GCE policy, {len(policy.rules)} rules; {n:,} synthetic requests")
    t0 = time.perf_counter()
    rows = make_rows(n)
    print(f"  (generated in {time.perf_counter() - t0:.1f} s; {len(set(rows)):,} distinct rows)")
    # The event index keeps its columns in arrays the garbage collector never scans;
    # freezing the generated rows gives the collector the same amount of work.
    gc.collect()
    gc.freeze()

    def fields_path() -> None:
        evaluate = evaluator.evaluate_fields
        for row in rows:
            evaluate(row)

    fields_cold = timed("evaluate_fields(row), empty cache at start", n, fields_path)
    keys = len(evaluator._fields_cache)  # noqa: SLF001 - a figure for the report
    misses = evaluator.misses
    timed("evaluate_fields(row), warm cache", n, fields_path)
    print(f"  {keys:,} distinct cache keys, {misses:,} misses ({100 * misses / n:.1f}%)")

    attrs_list: list[RequestAttributes] = []

    def build() -> None:
        attrs_list.extend(attributes_from_fields(row) for row in rows)

    build_cost = timed("attributes_from_fields(row) (no evaluation)", n, build)
    gc.collect()
    gc.freeze()

    def uncached() -> None:
        evaluate = evaluator.evaluate_uncached
        for attrs in attrs_list:
            evaluate(attrs)

    uncached_cost = timed("evaluate_uncached(attrs)", n, uncached)

    def cached() -> None:
        evaluate = policy.evaluate
        for attrs in attrs_list:
            evaluate(attrs)

    evaluator.clear_cache()
    cached_cold = timed("evaluate(attrs), empty cache at start", n, cached)
    timed("evaluate(attrs), warm cache", n, cached)

    step = max(1, n // 20_000)
    for row, attrs in zip(rows[::step], attrs_list[::step], strict=True):
        expected = evaluator.evaluate_uncached(attrs)
        assert policy.evaluate(attrs) == expected == evaluator.evaluate_fields(row)
    print(f"  cached == uncached == fields on {len(rows[::step]):,} sampled requests")

    print("Added to indexing time (one evaluation per event):")
    for label, cost in (
        ("evaluate_fields(row)", fields_cold),
        ("attributes_from_fields + evaluate", build_cost + cached_cold),
        ("attributes_from_fields + uncached", build_cost + uncached_cost),
    ):
        figures = ", ".join(
            f"+{100 * cost * rate:5.1f}% at {rate // 1000}k ev/s" for rate in (150_000, 250_000)
        )
        print(f"  {label:<36} {figures}")


if __name__ == "__main__":
    main()
