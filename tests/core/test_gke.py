"""GKE audit entries (Cloud Logging ``LogEntry``) -> the audit events they log, in every form
``gcloud logging read`` writes them: JSON lines, one JSON array, YAML documents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import yaml

from kaudit_tui.core.decode import event_json, original_json
from kaudit_tui.core.gke import RPC_HTTP
from kaudit_tui.core.ingest import Ingestor, _Array
from kaudit_tui.core.query import parse_query
from kaudit_tui.core.segments import FileReader
from kaudit_tui.core.store import EventStore
from tests.conftest import LOGS, index_files
from tests.events import AUDIT_ID, GKE_TIME, event_line, gke_entry, gke_line

KHI = LOGS / "khi-gke-k8s-audit-logentries.yaml"
PANTHER = LOGS / "panther-analysis-gke-k8s-test-events.jsonl"


def index_bytes(tmp_path: Path, data: bytes, name: str = "gke.log") -> EventStore:
    path = tmp_path / name
    path.write_bytes(data)
    return index_files(path)


def one_row(tmp_path: Path, **fields: object) -> dict:
    store = index_bytes(tmp_path, gke_line(**fields))
    assert len(store) == 1, dict(store.skips.counts)
    return store.row(store.first_id)


def printed(tmp_path: Path, **fields: object) -> dict:
    store = index_bytes(tmp_path, gke_line(**fields))
    return orjson.loads(store.event_json(store.first_id))


# -- the mapping -----------------------------------------------------------------------------

MAPPING = [
    # method, resourceName -> verb, apigroup, resource, sub, ns, name, uri
    ("io.k8s.core.v1.pods.get", "core/v1/namespaces/default/pods/web-1",
     ("get", "", "pods", "", "default", "web-1", "/api/v1/namespaces/default/pods/web-1")),
    ("io.k8s.core.v1.pods.list", "core/v1/namespaces/default/pods",
     ("list", "", "pods", "", "default", "", "/api/v1/namespaces/default/pods")),
    # a create posts to the collection; the name is the object's
    ("io.k8s.core.v1.pods.create", "core/v1/namespaces/default/pods/web-1",
     ("create", "", "pods", "", "default", "web-1", "/api/v1/namespaces/default/pods")),
    ("io.k8s.core.v1.pods.exec.create", "core/v1/namespaces/default/pods/web-1/exec",
     ("create", "", "pods", "exec", "default", "web-1",
      "/api/v1/namespaces/default/pods/web-1/exec")),
    ("io.k8s.core.v1.pods.status.patch", "core/v1/namespaces/default/pods/web-1/status",
     ("patch", "", "pods", "status", "default", "web-1",
      "/api/v1/namespaces/default/pods/web-1/status")),
    # cluster-scoped, a named group (abbreviated in the method name)
    ("io.k8s.rbac.v1.clusterroles.create", "rbac.authorization.k8s.io/v1/clusterroles/admin",
     ("create", "rbac.authorization.k8s.io", "clusterroles", "", "", "admin",
      "/apis/rbac.authorization.k8s.io/v1/clusterroles")),
    ("io.k8s.core.v1.nodes.status.patch", "core/v1/nodes/node-1/status",
     ("patch", "", "nodes", "status", "", "node-1", "/api/v1/nodes/node-1/status")),
    ("io.k8s.core.v1.nodes.list", "core/v1/nodes",
     ("list", "", "nodes", "", "", "", "/api/v1/nodes")),
    # a CRD: the method name has the group reversed, the resource name wins
    ("com.example.v1.widgets.create", "example.com/v1/namespaces/shop/widgets/w1",
     ("create", "example.com", "widgets", "", "shop", "w1",
      "/apis/example.com/v1/namespaces/shop/widgets")),
    ("com.example.v1.widgets.delete", "example.com/v1/namespaces/shop/widgets/w1",
     ("delete", "example.com", "widgets", "", "shop", "w1",
      "/apis/example.com/v1/namespaces/shop/widgets/w1")),
    # a namespace itself, and its own subresources
    ("io.k8s.core.v1.namespaces.delete", "core/v1/namespaces/shop",
     ("delete", "", "namespaces", "", "shop", "shop", "/api/v1/namespaces/shop")),
    ("io.k8s.core.v1.namespaces.finalize.update", "core/v1/namespaces/shop/finalize",
     ("update", "", "namespaces", "finalize", "shop", "shop",
      "/api/v1/namespaces/shop/finalize")),
    ("io.k8s.apps.v1.deployments.patch", "apps/v1/namespaces/kube-system/deployments/dns",
     ("patch", "apps", "deployments", "", "kube-system", "dns",
      "/apis/apps/v1/namespaces/kube-system/deployments/dns")),
]  # fmt: skip


@pytest.mark.parametrize(("method", "resource_name", "expected"), MAPPING)
def test_resource_requests(tmp_path: Path, method: str, resource_name: str, expected) -> None:
    row = one_row(tmp_path, method=method, resource_name=resource_name)
    fields = ("verb", "apigroup", "resource", "sub", "ns", "name", "uri")
    assert tuple(row[f] for f in fields) == expected
    assert row["objref"] is True


@pytest.mark.parametrize(
    ("method", "resource_name", "verb", "uri"),
    [
        ("io.k8s.get", "readyz", "get", "/readyz"),
        ("io.k8s.get", "/healthz", "get", "/healthz"),
        ("io.k8s.get", "HNAP1", "get", "/HNAP1"),
        ("io.k8s.get", "api/v1", "get", "/api/v1"),
        ("io.k8s.get", "apis/apps/v1", "get", "/apis/apps/v1"),
    ],
)
def test_non_resource_requests_keep_their_path(
    tmp_path: Path, method: str, resource_name: str, verb: str, uri: str
) -> None:
    row = one_row(tmp_path, method=method, resource_name=resource_name)
    assert (row["verb"], row["uri"], row["objref"], row["resource"]) == (verb, uri, False, "")
    assert "objectRef" not in printed(tmp_path, method=method, resource_name=resource_name)


def test_who_when_and_where(tmp_path: Path) -> None:
    row = one_row(tmp_path, user="bob@example.com", ip="2001:db8::1", agent="gcloud/1")
    assert (row["user"], row["ip"], row["ua"], row["groups"]) == (
        "bob@example.com",
        ("2001:db8::1",),
        "gcloud/1",
        (),
    )
    assert row["id"] == AUDIT_ID
    assert row["cluster"] == "prod-1"
    event = printed(tmp_path)
    assert event["stageTimestamp"] == GKE_TIME
    assert event["user"] == {"username": "alice@example.com"}
    assert (event["kind"], event["apiVersion"]) == ("Event", "audit.k8s.io/v1")


def test_audit_id_falls_back_to_the_insert_id(tmp_path: Path) -> None:
    row = one_row(tmp_path, operation_id=None, first=None, last=None, insert_id="abc-123")
    assert row["id"] == "abc-123"


@pytest.mark.parametrize(
    ("first", "last", "stage"),
    [
        (True, True, "ResponseComplete"),
        (True, None, "ResponseStarted"),
        (None, True, "ResponseComplete"),
        (None, None, "ResponseComplete"),
    ],
)
def test_stage_from_the_operation(tmp_path: Path, first, last, stage: str) -> None:  # noqa: ANN001
    assert one_row(tmp_path, first=first, last=last)["stage"] == stage


def test_a_request_logged_twice_is_two_stages_of_one_request(tmp_path: Path) -> None:
    started = gke_line(method="io.k8s.core.v1.pods.exec.create", first=True, last=None,
                       resource_name="core/v1/namespaces/default/pods/web-1/exec")  # fmt: skip
    ended = gke_line(method="io.k8s.core.v1.pods.exec.create", first=None, last=True,
                     resource_name="core/v1/namespaces/default/pods/web-1/exec")  # fmt: skip
    store = index_bytes(tmp_path, started + ended)
    rows = [store.row(r) for r in range(store.first_id, store.next_id)]
    assert [r["stage"] for r in rows] == ["ResponseStarted", "ResponseComplete"]
    assert {r["id"] for r in rows} == {AUDIT_ID}
    assert len(parse_query(f"id:{AUDIT_ID}").filter(store)) == 2


@pytest.mark.parametrize(("rpc", "http"), sorted(RPC_HTTP.items())[1:])
def test_rpc_codes_become_http_codes(tmp_path: Path, rpc: int, http: int) -> None:
    assert one_row(tmp_path, rpc_code=rpc, message="no")["code"] == http


def test_the_documented_rpc_codes() -> None:
    documented = {3: 400, 5: 404, 6: 409, 7: 403, 16: 401, 8: 429, 10: 409, 4: 504, 13: 500,
                  14: 503}  # fmt: skip
    assert {rpc: RPC_HTTP[rpc] for rpc in documented} == documented


def test_ok_is_201_for_a_create_that_returned_an_object(tmp_path: Path) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1"}}
    create = {"method": "io.k8s.core.v1.pods.create"}
    assert one_row(tmp_path, **create, response=pod)["code"] == 201
    assert one_row(tmp_path, **create, rpc_code=0, response=pod)["code"] == 201
    assert one_row(tmp_path, **create)["code"] == 200  # no response logged
    status = {"kind": "Status", "status": "Success"}
    assert one_row(tmp_path, **create, response=status)["code"] == 200
    assert one_row(tmp_path, response=pod)["code"] == 200  # a get


def test_the_status_message_is_kept(tmp_path: Path) -> None:
    event = printed(tmp_path, rpc_code=7, message='pods "x" is forbidden')
    assert event["responseStatus"] == {"metadata": {}, "code": 403,
                                       "message": 'pods "x" is forbidden'}  # fmt: skip


def test_labels_are_the_annotations(tmp_path: Path) -> None:
    labels = {
        "authorization.k8s.io/decision": "forbid",
        "authorization.k8s.io/reason": "RBAC: no",
        "k8s.io/deprecated": "true",
    }
    assert one_row(tmp_path, labels=labels)["decision"] == "forbid"
    assert printed(tmp_path, labels=labels)["annotations"] == labels


def test_level_from_what_was_logged(tmp_path: Path) -> None:
    assert printed(tmp_path)["level"] == "Metadata"
    assert printed(tmp_path, request={"a": 1})["level"] == "Request"
    event = printed(tmp_path, request={"a": 1}, response={"b": 2})
    assert event["level"] == "RequestResponse"
    assert (event["requestObject"], event["responseObject"]) == ({"a": 1}, {"b": 2})


def test_entries_of_other_services_are_skipped_by_service(tmp_path: Path) -> None:
    data = gke_line() + gke_line(service="compute.googleapis.com") + gke_line(service=None)
    store = index_bytes(tmp_path, data)
    assert len(store) == 1
    assert dict(store.skips.counts) == {
        "Cloud Logging entry of compute.googleapis.com, not k8s.io": 1,
        "Cloud Logging entry of no service, not k8s.io": 1,
    }


def test_print_gives_the_event_and_the_detail_view_the_entry() -> None:
    entry = gke_entry(labels={"authorization.k8s.io/decision": "allow"})
    record = orjson.dumps(entry)
    assert orjson.loads(event_json(record, 0))["verb"] == "get"
    assert orjson.loads(original_json(record, 0)) == entry
    as_yaml = yaml.safe_dump(entry).encode()
    assert orjson.loads(original_json(as_yaml, 0)) == entry
    assert event_json(as_yaml, 0) == event_json(record, 0)


# -- the cluster field -----------------------------------------------------------------------


def test_cluster_field(tmp_path: Path) -> None:
    data = (
        gke_line(cluster="prod-1")
        + gke_line(cluster="staging")
        + event_line(annotations={"cluster_name": "prod-2"})  # the fast path
        + event_line(annotations={"cluster_name": "prod-3"}, verb="GET")  # the tolerant path
        + event_line()
    )
    store = index_bytes(tmp_path, data)
    assert len(store) == 5
    clusters = [store.row(r)["cluster"] for r in range(store.first_id, store.next_id)]
    assert clusters == ["prod-1", "staging", "prod-2", "prod-3", ""]
    assert len(parse_query("cluster:prod-*").filter(store)) == 3
    assert len(parse_query('cluster:""').filter(store)) == 1
    assert len(parse_query("-cluster:staging,PROD-1").filter(store)) == 3


# -- the forms of gcloud logging read --------------------------------------------------------


def _entries() -> list[dict]:
    """One set of entries: real ones and made ones, with entries of other services."""
    entries = [orjson.loads(line) for line in PANTHER.read_bytes().splitlines() if line.strip()]
    entries += [
        gke_entry(rpc_code=7, message="forbidden", labels={"a": "b"}),
        gke_entry(service="iam.googleapis.com", method="google.iam.admin.v1.ListRoles"),
        gke_entry(method="io.k8s.get", resource_name="HNAP1", first=True, last=None),
    ]
    return entries


def write_forms(directory: Path, entries: list[dict]) -> dict[str, Path]:
    forms = {
        "jsonl": b"".join(orjson.dumps(entry) + b"\n" for entry in entries),
        # gcloud logging read --format=json
        "json": orjson.dumps(entries, option=orjson.OPT_INDENT_2) + b"\n",
        # gcloud logging read: YAML documents separated by ---
        "yaml": "---\n".join(
            yaml.safe_dump(entry, sort_keys=False, allow_unicode=True) for entry in entries
        ).encode(),
    }
    paths = {}
    for form, data in forms.items():
        paths[form] = directory / f"entries.{form}"
        paths[form].write_bytes(data)
    return paths


def run(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "kaudit_tui", *args], capture_output=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result


def test_the_three_forms_give_the_same_stats_and_events(tmp_path: Path) -> None:
    paths = write_forms(tmp_path, _entries())
    stats, prints, reasons = {}, {}, {}
    for form, path in paths.items():
        stats[form] = orjson.loads(run("--stats", "--json", str(path)).stdout)
        result = run("--print", str(path))
        prints[form] = result.stdout
        # "skipped N lines ...: REASONS": a pretty entry spans more lines than a JSON line
        reasons[form] = result.stderr.decode().partition("held no audit event: ")[2]
    assert stats["jsonl"]["events"] == 43
    assert stats["jsonl"]["skipped"] == 1
    for form in ("json", "yaml"):
        # an entry skipped counts once, however many lines it spans in its form
        assert stats[form] == stats["jsonl"], form
        assert prints[form] == prints["jsonl"], form
        assert (
            reasons[form]
            == reasons["jsonl"]
            == ("1 Cloud Logging entry of iam.googleapis.com, not k8s.io\n")
        )
    assert len(prints["jsonl"].splitlines()) == 43


class _TextTimes(yaml.SafeLoader):
    """YAML as gcloud means it: timestamps stay the text they are (as the reader keeps them)."""


_TextTimes.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def test_the_khi_sample_in_every_form_gives_the_same_stats_and_events(tmp_path: Path) -> None:
    """The real ``gcloud logging read`` YAML, and the same entries as ``--format=json`` and
    as JSON lines: the same ``--stats`` (skipped count included) and the same events."""
    entries = [e for e in yaml.load_all(KHI.read_text(), Loader=_TextTimes) if e is not None]
    forms = write_forms(tmp_path, entries)
    forms["yaml"] = KHI  # the sample itself, comments and all
    outputs = {form: run("--print", "--stats", str(path)) for form, path in forms.items()}
    for form in ("json", "jsonl"):
        assert outputs[form].stdout == outputs["yaml"].stdout, form
        assert outputs[form].stderr == outputs["yaml"].stderr, form
    assert outputs["yaml"].stderr.startswith(b"3 / 3 events (0 lines skipped)")
    assert b"cluster\n" in outputs["yaml"].stderr


def test_a_large_json_array_is_read_one_element_at_a_time(tmp_path: Path) -> None:
    count = 50_000
    entry = orjson.dumps(gke_entry(), option=orjson.OPT_INDENT_2).replace(b"\n", b"\n  ")
    data = b"[\n  " + b",\n  ".join([entry] * count) + b"\n]\n"
    element_lines = entry.count(b"\n") + 1
    path = tmp_path / "big.json"
    path.write_bytes(data)
    store = EventStore()
    ingestor = Ingestor(store)
    reader = FileReader(str(path))
    seg = store.segment_id(reader)
    offset, chunk, most = 0, 1 << 16, 0
    while offset < len(data):
        end = data.rfind(b"\n", offset, offset + chunk) + 1
        ingestor.feed(reader, offset, data[offset:end])
        offset = end
        pending = ingestor._documents.get(seg)
        if offset == len(data):  # the closing ] ended it
            assert pending is None
            break
        assert type(pending) is _Array
        if pending.element is not None:
            most = max(most, len(pending.element.parts))
    ingestor.finish(reader)
    assert 0 < most < element_lines  # never more than the element being assembled
    assert len(store) == count
    assert not store.skips.counts
    assert orjson.loads(store.event_json(store.next_id - 1))["verb"] == "get"


def test_array_elements_on_one_line_and_plain_events(tmp_path: Path) -> None:
    events = [orjson.loads(event_line(name=f"p{i}")) for i in range(3)]
    data = b"[\n" + b",\n".join(orjson.dumps(e) for e in events) + b"\n]\n" + event_line()
    store = index_bytes(tmp_path, data)
    assert len(store) == 4
    assert [store.row(r)["name"] for r in range(store.first_id, store.next_id)] == [
        "p0", "p1", "p2", "",
    ]  # fmt: skip
    assert orjson.loads(store.event_json(store.first_id)) == events[0]


def test_a_truncated_array_element_does_not_swallow_what_follows(tmp_path: Path) -> None:
    entry = orjson.dumps(gke_entry(), option=orjson.OPT_INDENT_2).replace(b"\n", b"\n  ")
    cut = entry[: len(entry) // 2].rpartition(b"\n")[0]
    store = index_bytes(tmp_path, b"[\n  " + entry + b",\n  " + cut + b"\n" + event_line())
    assert len(store) == 2
    assert dict(store.skips.counts) == {"truncated JSON document": 1}


def test_yaml_documents_with_comments_and_without_a_first_separator(tmp_path: Path) -> None:
    entry = yaml.safe_dump(gke_entry()).encode()
    data = b"# a comment\n\n" + entry + b"---\n# another\n" + entry + b"---\n" + entry
    store = index_bytes(tmp_path, data)
    assert len(store) == 3
    assert not store.skips.counts
    assert store.row(store.first_id)["stage"] == "ResponseComplete"


def test_invalid_yaml_is_skipped(tmp_path: Path) -> None:
    store = index_bytes(
        tmp_path, b"insertId: [unclosed\n---\n" + yaml.safe_dump(gke_entry()).encode()
    )
    assert len(store) == 1
    assert dict(store.skips.counts) == {"invalid YAML": 1}


# -- real samples ----------------------------------------------------------------------------


def test_khi_yaml_sample(tmp_path: Path) -> None:
    lines = run("--print", str(KHI)).stdout.splitlines()
    events = [orjson.loads(line) for line in lines]
    assert [(e["verb"], e["objectRef"]["resource"], e["objectRef"].get("subresource"))
            for e in events] == [("create", "pods", None), ("patch", "pods", "status"),
                                 ("patch", "pods", "status")]  # fmt: skip
    assert [e["responseStatus"]["code"] for e in events] == [201, 200, 200]
    assert events[0]["annotations"]["pod-security.kubernetes.io/enforce-policy"] == (
        "privileged:latest"
    )
    stats = orjson.loads(run("--stats", "--json", "-q", "cluster:*", str(KHI)).stdout)
    assert (stats["events"], stats["skipped"]) == (3, 0)


def test_panther_gke_sample(tmp_path: Path) -> None:
    stats = orjson.loads(run("--stats", "--json", str(PANTHER)).stdout)
    assert (stats["events"], stats["skipped"]) == (41, 0)
    codes = dict((c["value"], c["count"]) for c in stats["fields"]["code"])
    assert codes[403] == 2 and codes[409] == 2
    resources = {r["value"] for r in stats["fields"]["resource"]}
    assert {"pods", "pods/exec", "clusterroles"} <= resources
    exec_ = run("--print", "-q", "resource:pods/exec", str(PANTHER)).stdout.splitlines()
    assert len(exec_) == 4


def test_stats_count_clusters_only_when_some_event_names_one(tmp_path: Path) -> None:
    path = tmp_path / "two.log"
    path.write_bytes(gke_line(cluster="prod-1") + gke_line(cluster="prod-2") + event_line())
    fields = orjson.loads(run("--stats", "--json", str(path)).stdout)["fields"]
    assert list(fields) == ["user", "verb", "resource", "ns", "cluster", "stage", "code"]
    assert fields["cluster"] == [{"value": "prod-1", "count": 1}, {"value": "prod-2", "count": 1}]
    plain = tmp_path / "plain.log"
    plain.write_bytes(event_line())
    assert "cluster" not in orjson.loads(run("--stats", "--json", str(plain)).stdout)["fields"]


POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  userGroups: ["system:nodes"]
  verbs: ["delete"]
- level: None
  userGroups: ["system:masters"]
- level: Metadata
"""


def test_explain_says_which_user_groups_it_cannot_decide(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    log = tmp_path / "mixed.log"
    log.write_bytes(gke_line() + event_line(groups=("system:masters",)))
    out = run("-p", str(policy), "--explain", str(log)).stdout.splitlines()
    gke, plain = (orjson.loads(line) for line in out)
    # rule 1 is for deletes: decided without the groups; rule 2 needs them
    assert (gke["rule"], gke["userGroupsUndecided"]) == (3, [2])
    assert plain["rule"] == 2
    assert "userGroupsUndecided" not in plain


def test_the_policy_panel_says_it_too(tmp_path: Path) -> None:
    from kaudit_tui.core.decisions import RowDecisions
    from kaudit_tui.core.policy import parse_policy
    from kaudit_tui.ui.panels.policy import verdict_text
    from kaudit_tui.view.policy import rule_texts, verdict

    loaded = parse_policy(POLICY)
    store = index_bytes(tmp_path, gke_line())
    shown = verdict(loaded, RowDecisions(loaded), rule_texts(loaded), store, store.first_id)
    assert shown.undecided == (2,)
    assert "userGroups of rule 2 cannot be decided" in verdict_text(shown).plain
