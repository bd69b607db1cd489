"""``--history RESOURCE[/NAMESPACE]/NAME`` as a real process: the text timeline with unified
diffs, ``--json`` lines whose patches replay the object, ``-q``, usage errors, hostile strings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jsonpatch
import orjson
import pytest

from tests.conftest import LOGS
from tests.events import event_line
from tests.lifecycle import SPEC, lifecycle, write_lifecycle

FALCO = LOGS / "falco-k8s-audit-trace-files.jsonl"
KEYS = ["auditID", "time", "verb", "user", "code", "dryRun", "patch"]


def run(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kaudit_tui", *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.log"
    write_lifecycle(path)
    return path


def test_text_timeline_with_diffs_marks_and_the_delete(log: Path) -> None:
    result = run("--history", SPEC, log)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "# kaudit-tui: history of deployments/shop/frontend: 13 requests "
        "(9 changes, 1 denied, 1 dry run)"
    )
    requests = [line for line in lines if line[:4] == "2026"]
    assert len(requests) == 13
    assert requests[0].split("  ")[:5] == [
        "2026-11-26T09:01:00.007000Z", "create", "alice", "201", "ResponseComplete",
    ]  # fmt: skip
    assert requests[4].split("  ")[1:3] == ["patch (JSON Patch)", "carol"]
    assert requests[8].endswith("DENIED") and " mallory " in requests[8]
    assert requests[9].endswith("DRY RUN") and "  alice as ci-bot  200  " in requests[9]
    # the JSON Patch's change as a unified diff of the spec
    at = lines.index(requests[4])
    assert lines[at + 1 : at + 4] == ["    changed: spec", "    --- spec", "    +++ spec"]
    assert "    -      - image: shop/frontend:1.0" in lines
    assert "    +      - image: shop/frontend:1.1" in lines
    assert "resourceVersion" not in result.stdout  # noise hidden
    assert lines[-1] == (
        "# deleted by alice at 2026-11-26T09:13:00.091000Z (propagationPolicy: Foreground; "
        'preconditions: {"uid":"5b7f3f1e-4c55-4a0e-9d6b-1f2e3d4c5b6a"})'
    )


def test_json_lines_hold_exactly_the_fields_and_patches_replay_the_object(log: Path) -> None:
    result = run("--history", SPEC, "--json", log)
    assert result.returncode == 0, result.stderr
    records = [orjson.loads(line) for line in result.stdout.splitlines()]
    steps = lifecycle()
    assert len(records) == len(steps)
    document = None
    for record, step in zip(records, steps, strict=True):
        assert list(record) == KEYS
        assert (record["verb"], record["user"], record["dryRun"]) == (
            step.verb, step.user, step.dry_run,
        )  # fmt: skip
        assert record["code"] == step.code
        if record["patch"] is not None:
            document = jsonpatch.apply_patch(document, record["patch"])
            assert document["spec"] == step.after["spec"]
            assert document["status"] == step.after["status"]
    assert records[0]["time"] == "2026-11-26T09:01:00.007000Z"
    assert records[0]["patch"][0]["op"] == "add" and records[0]["patch"][0]["path"] == ""
    dry, denied = records[9], records[8]
    assert (dry["dryRun"], dry["patch"]) == (True, None)
    assert (denied["code"], denied["patch"]) == (403, None)
    assert records[-1]["verb"] == "delete" and records[-1]["patch"] is None


def test_a_query_narrows_the_list_not_the_versions(log: Path) -> None:
    result = run("--history", SPEC, "--json", "-q", "user:alice -code:201", log)
    assert result.returncode == 0, result.stderr
    records = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert {r["user"] for r in records} == {"alice"}
    assert [r["verb"] for r in records] == ["patch", "patch", "update", "patch", "patch", "delete"]
    label = records[0]["patch"]
    assert {"op": "add", "path": "/metadata/labels/tier", "value": "web"} in label
    text = run("--history", SPEC, "-q", "user:carol", log).stdout.splitlines()
    assert text[1] == "# 1 of them match the query"


def test_the_falco_sample_configmap(tmp_path: Path) -> None:
    result = run("--history", "configmaps/default/my-config", FALCO)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "# kaudit-tui: history of configmaps/default/my-config: 9 requests (8 changes)"
    )
    assert "    +  access.properties: |" in lines
    assert lines[-1] == (
        "# deleted by minikube-user at 2018-10-26T13:13:33.773884Z (propagationPolicy: Background)"
    )


def test_an_object_nobody_touched(log: Path) -> None:
    result = run("--history", "secrets/shop/none", log)
    assert result.returncode == 0
    assert result.stdout == "# kaudit-tui: history of secrets/shop/none: 0 requests (0 changes)\n"
    assert "no request on secrets/shop/none" in result.stderr


@pytest.mark.parametrize("spec", ["deployments", "a/b/c/d/e", "pods//x", ""])
def test_a_bad_spec_is_a_usage_error(log: Path, spec: str) -> None:
    result = run("--history", spec, log)
    assert result.returncode == 2
    assert "--history: expected RESOURCE/NAMESPACE/NAME or RESOURCE/NAME" in result.stderr
    assert "Traceback" not in result.stderr and not result.stdout


def test_a_subresource_spec_names_the_object_instead(log: Path) -> None:
    result = run("--history", "deployments/shop/frontend/status", log)
    assert result.returncode == 2
    assert "name the object: deployments/shop/frontend" in result.stderr


def test_without_bodies_the_policy_says_which_rule_would_log_them(tmp_path: Path) -> None:
    from kaudit_tui.cli import demo_paths

    path = tmp_path / "metadata.log"
    write_lifecycle(path, "Metadata")
    result = run("--history", SPEC, "-p", demo_paths()[1], path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("13 requests (0 changes, 1 denied, 1 dry run)")
    at = next(i for i, line in enumerate(lines) if "  patch  carol  " in line)
    assert lines[at + 1] == "    no body logged (level Metadata): change unknown"
    assert lines[at + 2].startswith("    rule ")
    assert lines[at + 2].endswith("would log its body (level RequestResponse)")
    assert lines[-1] == "# deleted by alice at 2026-11-26T09:13:00.091000Z"


def test_history_goes_alone(log: Path) -> None:
    result = run("--history", SPEC, "--stats", log)
    assert result.returncode == 2
    assert "use it without other modes" in result.stderr


def test_hostile_strings_are_escaped(tmp_path: Path) -> None:
    hostile = "ev\x1b[31mil\u202e"
    path = tmp_path / "audit.log"
    path.write_bytes(
        event_line(
            verb="create",
            user=hostile,
            resource="configmaps",
            name="x",
            code=201,
            level="RequestResponse",
            uri="/api/v1/namespaces/default/configmaps",
            response_object={
                "kind": "ConfigMap",
                "metadata": {"name": "x"},
                "data": {"k": hostile},
            },
        )  # fmt: skip
    )
    text = run("--history", "configmaps/default/x", path)
    assert text.returncode == 0, text.stderr
    assert "\x1b" not in text.stdout and "\u202e" not in text.stdout
    assert "ev\\x1b[31mil\\u202e" in text.stdout
    as_json = run("--history", "configmaps/default/x", "--json", path)
    assert "\x1b" not in as_json.stdout and "\u202e" not in as_json.stdout
    record = orjson.loads(as_json.stdout)
    assert record["user"] == hostile
    assert record["patch"][0]["value"]["data"]["k"] == hostile


def test_the_audit2rbac_demo_log_at_metadata_level_with_a_policy() -> None:
    """A real Metadata-level log: no write has a body; the GCE policy names the rule that would
    have logged each, the same rule ``--explain`` gives for that request."""
    log = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"
    policy = LOGS.parent / "policies" / "gce.yaml"
    spec = "clusterrolebindings/audit2rbac:sa1"
    result = run("--history", spec, "-q", "-verb:get,list,watch", "-p", policy, log)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        f"# kaudit-tui: history of {spec}: 48 requests (0 changes, 1 failed)",
        "# 24 of them match the query",
    ]
    assert lines[2].split("  ")[1:4] == ["create", "system:admin", "201"]
    assert lines[3] == "    no body logged (level Metadata): change unknown"
    assert lines[4] == (
        f"    rule 16 (line 139) of {policy} would log its body (level RequestResponse)"
    )
    created = orjson.loads(run("--history", spec, "--json", "-q", "verb:create", log).stdout)
    explained = run("--explain", "-p", policy, "-q", f"id:{created['auditID']}", log)
    rules = {orjson.loads(line)["rule"] for line in explained.stdout.splitlines()}
    assert rules == {16}
    assert created["patch"] is None and created["code"] == 201
