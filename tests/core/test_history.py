"""An object's history (``core/answers/history.py``, ``patches.py``) over the generated lifecycle
of ``tests/lifecycle.py`` and over real sample logs: which requests belong to the object, the
versions (read from responses, or rebuilt from request bodies alone), the JSON Patches, the
noise fields, dry runs, denials, deletes, and what a policy says of requests logged without a
body."""

from __future__ import annotations

from pathlib import Path

import jsonpatch
import pytest

from kaudit_tui.core.answers.history import (
    SpecError,
    object_history,
    object_of_row,
    parse_spec,
)
from kaudit_tui.core.answers.history_text import history_lines
from kaudit_tui.core.answers.patches import (
    apply_patch,
    merge_patch,
    patch_kind,
    unified_diff,
    without_noise,
)
from kaudit_tui.core.policy import load_policy
from tests.conftest import LOGS, index_files
from tests.lifecycle import NAME, NAMESPACE, REPLICASET, SPEC, lifecycle, write_lifecycle

FALCO = LOGS / "falco-k8s-audit-trace-files.jsonl"


def history_of(tmp_path: Path, level: str = "RequestResponse", spec: str = SPEC, **kwargs):
    path = tmp_path / f"{level}.log"
    write_lifecycle(path, level)
    return object_history(index_files(path), parse_spec(spec), **kwargs)


def comparable(version: dict, level: str) -> dict:
    """A version without the noise fields, and without the uid the server assigns when only
    request bodies are logged (the log then never shows it)."""
    version = without_noise(version)
    if level == "Request":
        version["metadata"].pop("uid", None)
    return version


# -- which object ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "resource", "namespace", "name", "group"),
    [
        ("deployments/shop/frontend", "deployments", "shop", "frontend", None),
        ("clusterrolebindings/admin-x", "clusterrolebindings", "", "admin-x", None),
        ("deployments.apps/shop/frontend", "deployments", "shop", "frontend", "apps"),
        ("widgets.example.com/a/b", "widgets", "a", "b", "example.com"),
    ],
)
def test_a_spec_names_resource_namespace_and_name(text, resource, namespace, name, group) -> None:
    spec = parse_spec(text)
    assert (spec.resource, spec.namespace, spec.name, spec.group) == (
        resource,
        namespace,
        name,
        group,
    )
    assert spec.label() == text


def test_a_subresource_in_the_spec_points_to_the_object() -> None:
    with pytest.raises(SpecError, match="part of its object's history.*: pods/default/web"):
        parse_spec("pods/default/web/status")


@pytest.mark.parametrize("text", ["", "pods", "pods//x", "a/b/c/d/e", "/ns/x", ".apps/x/y"])
def test_a_bad_spec_says_what_is_expected(text: str) -> None:
    with pytest.raises(SpecError, match="expected RESOURCE"):
        parse_spec(text)


def test_every_request_on_the_object_and_only_those_in_time_order(tmp_path: Path) -> None:
    history = history_of(tmp_path)
    steps = lifecycle()
    assert [(e.verb, e.subresource, e.user) for e in history.entries] == [
        (s.verb, s.subresource or "", s.user) for s in steps
    ]
    times = [entry.time for entry in history.entries]
    assert times == sorted(times)
    # one entry per request (its last stage), none from backend or staging/frontend
    assert all(entry.stage == "ResponseComplete" for entry in history.entries)
    assert len({entry.audit_id for entry in history.entries}) == len(steps)


def test_a_create_named_only_by_its_response_belongs_to_the_object(tmp_path: Path) -> None:
    history = history_of(tmp_path, spec=f"replicasets/{NAMESPACE}/{REPLICASET}")
    assert [(e.verb, e.code) for e in history.entries] == [("create", 201)]
    assert history.entries[0].after["metadata"]["generateName"] == "frontend-"


def test_the_object_of_a_row_is_found_for_the_o_key(tmp_path: Path) -> None:
    path = tmp_path / "log"
    write_lifecycle(path)
    store = index_files(path)
    found = {object_of_row(store, row) for row in range(store.first_id, store.next_id)}
    labels = {spec.label() for spec in found if spec is not None}
    assert labels == {
        "deployments.apps/shop/frontend",
        "deployments.apps/shop/backend",
        "deployments.apps/staging/frontend",
        f"replicasets.apps/shop/{REPLICASET}",
    }


# -- versions and patches --------------------------------------------------------------------


@pytest.mark.parametrize("level", ["RequestResponse", "Request"])
def test_each_change_is_the_version_the_step_made(tmp_path: Path, level: str) -> None:
    """From responses, and from the request bodies alone (patches of every kind applied):
    the same versions as the steps wrote out, noise fields aside."""
    history = history_of(tmp_path, level)
    steps = lifecycle()
    for entry, step in zip(history.entries, steps, strict=True):
        assert entry.changed == (step.changes and step.verb != "delete"), (step.verb, entry.notes)
        if entry.changed:
            assert comparable(entry.after, level) == comparable(step.after, level), step.verb
    assert history.changes == sum(s.changes and s.verb != "delete" for s in steps)


def test_patches_replay_the_object_from_its_create(tmp_path: Path) -> None:
    """The JSON Patches (RFC 6902) of the --json output, applied in turn to nothing, give
    every version the steps wrote out, noise fields and all (but after a scale)."""
    history = history_of(tmp_path)
    document = None
    for entry, step in zip(history.entries, lifecycle(), strict=True):
        if entry.dry_run or entry.denied or entry.verb in ("get", "delete"):
            assert entry.patch is None or entry.verb == "get"
            continue
        document = jsonpatch.apply_patch(document, entry.patch)
        if entry.subresource == "scale":  # the log holds a Scale: the new noise fields unknown
            assert without_noise(document) == without_noise(step.after)
        else:
            assert document == step.after


def test_patch_kinds_are_told_from_the_body_and_url(tmp_path: Path) -> None:
    kinds = [e.patch_kind for e in history_of(tmp_path).entries if e.verb == "patch"]
    assert kinds == ["merge", "json", "strategic", "apply", "merge", "merge", "strategic"]


def test_spec_and_status_changes_are_told_apart(tmp_path: Path) -> None:
    touched = [(e.verb, e.subresource, e.sections()) for e in history_of(tmp_path).entries]
    assert ("update", "status", ["status"]) in touched
    assert ("patch", "status", ["status"]) in touched
    assert ("update", "scale", ["spec"]) in touched
    assert ("patch", "", ["metadata"]) in touched  # the label
    diff = next(e for e in history_of(tmp_path).entries if e.subresource == "status").diff()
    assert diff[:2] == ["--- status", "+++ status"]


def test_noise_fields_are_hidden_unless_asked_for(tmp_path: Path) -> None:
    label = next(e for e in history_of(tmp_path).entries if e.patch_kind == "merge")
    quiet = "\n".join(label.diff())
    assert "+    tier: web" in quiet
    assert "resourceVersion" not in quiet and "managedFields" not in quiet
    loud = "\n".join(label.diff(noise=True))
    assert "-  resourceVersion: '1002'" in loud and "+  resourceVersion: '1003'" in loud
    assert "managedFields" in loud
    assert label.sections(noise=True) == ["metadata"]
    ops = {op["path"] for op in label.patch}
    assert "/metadata/labels/tier" in ops and "/metadata/resourceVersion" in ops


def test_dry_runs_and_denied_requests_change_nothing(tmp_path: Path) -> None:
    history = history_of(tmp_path)
    dry = next(e for e in history.entries if e.dry_run)
    denied = next(e for e in history.entries if e.denied)
    assert (dry.user, dry.changed, dry.patch, dry.code) == ("alice", False, None, 200)
    assert "dry run: not applied" in dry.notes
    assert (denied.user, denied.changed, denied.patch, denied.code) == ("mallory", False, None, 403)
    # the change after them is against the version before them
    status = [e for e in history.entries if e.subresource == "status"][-1]
    scaled = next(e for e in history.entries if e.subresource == "scale")
    assert status.before == scaled.after


def test_the_history_ends_with_who_deleted_it_and_how(tmp_path: Path) -> None:
    history = history_of(tmp_path)
    deleted = history.deleted_by
    assert deleted is not None and deleted.user == "alice"
    assert deleted.deletion == {
        "propagationPolicy": "Foreground",
        "preconditions": {"uid": "5b7f3f1e-4c55-4a0e-9d6b-1f2e3d4c5b6a"},
    }
    assert history.footer() == (
        "deleted by alice at 2026-11-26T09:13:00.091000Z (propagationPolicy: Foreground; "
        'preconditions: {"uid":"5b7f3f1e-4c55-4a0e-9d6b-1f2e3d4c5b6a"})'
    )


def test_without_bodies_the_entries_say_so_and_which_rule_would_log_them(tmp_path: Path) -> None:
    policy = load_policy(Path("tui/demo/demo-policy.yaml").resolve())
    history = history_of(tmp_path, "Metadata", policy=policy)
    assert history.changes == 0
    patch = next(e for e in history.entries if e.verb == "patch" and not e.dry_run)
    assert patch.patch is None and patch.patch_kind == ""
    assert patch.notes[0] == "no body logged (level Metadata): change unknown"
    assert "would log its body (level RequestResponse)" in patch.notes[1]
    assert patch.notes[1].startswith("rule ")
    assert history.deleted_by is not None and history.deleted_by.deletion is None


# -- patch bodies ----------------------------------------------------------------------------


def test_merge_patch_follows_rfc_7386() -> None:
    # the examples of RFC 7386, appendix A
    assert merge_patch({"a": "b"}, {"a": "c"}) == {"a": "c"}
    assert merge_patch({"a": "b"}, {"a": None}) == {}
    assert merge_patch({"a": ["b"]}, {"a": "c"}) == {"a": "c"}
    assert merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}
    assert merge_patch({}, {"a": {"bb": {"ccc": None}}}) == {"a": {"bb": {}}}


def test_strategic_directives() -> None:
    before = {"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}],
                       "finalizers": ["x", "y"], "map": {"k": 1, "j": 2}}}  # fmt: skip
    replaced = {"spec": {"map": {"$patch": "replace", "z": 3}}}
    assert apply_patch(before, replaced, "strategic")["spec"]["map"] == {"z": 3}
    removed = {"spec": {"$deleteFromPrimitiveList/finalizers": ["x"], "containers": [
        {"name": "b", "$patch": "delete"}]}}  # fmt: skip
    after = apply_patch(before, removed, "strategic")["spec"]
    assert after["finalizers"] == ["y"]
    assert after["containers"] == [{"name": "a", "image": "1"}]
    retained = {"spec": {"$retainKeys": ["map"], "map": {"k": 5}}}
    assert apply_patch(before, retained, "strategic")["spec"] == {"map": {"k": 5, "j": 2}}
    assert before["spec"]["map"] == {"k": 1, "j": 2}  # the version before is left alone


def test_a_json_patch_that_does_not_apply_is_reported() -> None:
    from kaudit_tui.core.answers.patches import PatchError

    with pytest.raises(PatchError, match="does not apply"):
        apply_patch({"a": 1}, [{"op": "test", "path": "/a", "value": 2}], "json")
    with pytest.raises(PatchError):
        apply_patch({"a": 1}, [{"op": "remove", "path": "/nope"}], "json")


def test_patch_kind() -> None:
    assert patch_kind([], {}) == "json"
    assert patch_kind({"spec": {"$retainKeys": []}}, {}) == "strategic"
    assert patch_kind({"apiVersion": "v1", "kind": "X"}, {"fieldManager": ["m"]}) == "apply"
    assert patch_kind({"apiVersion": "v1", "kind": "X"}, {}) == "merge"
    assert patch_kind("text", {}) == "unknown"


def test_unified_diff_of_a_new_section_and_a_hostile_value() -> None:
    lines = unified_diff({"data": {"a": "1"}}, {"data": {"a": "\x1b[31mred"}, "spec": {"x": 1}})
    assert lines[:2] == ["--- spec", "+++ spec"] or "--- /dev/null" in lines
    assert all("\x1b" not in line for line in lines)  # the YAML writer escapes it


# -- real logs -------------------------------------------------------------------------------


def test_the_falco_configmap_is_created_eight_times_then_deleted() -> None:
    store = index_files(FALCO)
    history = object_history(store, parse_spec("configmaps/default/my-config"))
    verbs = [entry.verb for entry in history.entries]
    assert verbs == ["create"] * 8 + ["delete"]
    assert all(entry.changed and entry.patch[0]["path"] == "" for entry in history.entries[:8])
    assert history.deleted_by.deletion == {"propagationPolicy": "Background"}
    text = "\n".join(history_lines(history, history.entries))
    assert text.splitlines()[0] == (
        "# kaudit-tui: history of configmaps/default/my-config: 9 requests (8 changes)"
    )
    assert text.splitlines()[-1].startswith("# deleted by minikube-user at 2018-10-26T13:13:33")


def test_a_cluster_scoped_object_in_the_falco_log() -> None:
    history = object_history(index_files(FALCO), parse_spec("clusterroles/some-reader"))
    assert history.entries and {e.spec for e in [history]} == {history.spec}
    assert all(entry.verb for entry in history.entries)
    assert history.spec.namespace == ""
    assert object_history(index_files(FALCO), parse_spec(f"pods/{NAMESPACE}/{NAME}")).entries == []


def test_a_deletecollection_that_lists_the_object_ends_its_history(tmp_path: Path) -> None:
    from tests.events import event_line

    def pod(name: str) -> dict:
        return {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name}, "spec": {}}

    path = tmp_path / "audit.log"
    common = dict(level="RequestResponse", uri="/api/v1/namespaces/default/pods")
    path.write_bytes(
        event_line(verb="create", name="web-1", code=201, response_object=pod("web-1"),
                   audit_id="c1", stage_time="2026-11-26T10:00:01Z", **common)
        + event_line(verb="deletecollection", user="ops", audit_id="d1", code=200,
                     response_object={"kind": "PodList", "items": [pod("web-1"), pod("web-2")]},
                     request_object={"kind": "DeleteOptions", "propagationPolicy": "Background"},
                     stage_time="2026-11-26T10:00:02Z", **common)
        + event_line(verb="deletecollection", user="ops", audit_id="d2", code=200,
                     level="Metadata", uri=common["uri"], stage_time="2026-11-26T10:00:03Z")
    )  # fmt: skip
    store = index_files(path)
    history = object_history(store, parse_spec("pods/default/web-1"))
    assert [(e.verb, e.user) for e in history.entries] == [
        ("create", "alice"),
        ("deletecollection", "ops"),
    ]
    assert history.entries[1].notes == ["deleted with its collection"]
    assert history.footer() == (
        "deleted by ops at 2026-11-26T10:00:02.000000Z (propagationPolicy: Background)"
    )
    assert object_history(store, parse_spec("pods/default/web-3")).entries == []


def test_a_write_whose_response_is_not_logged_has_an_unknown_outcome(tmp_path: Path) -> None:
    from tests.events import event_line

    path = tmp_path / "audit.log"
    body = {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    path.write_bytes(
        event_line(verb="create", resource="configmaps", name="c", code=201,
                   level="RequestResponse", response_object=body, audit_id="a1",
                   stage_time="2026-11-26T10:00:01Z")
        + event_line(verb="patch", resource="configmaps", name="c", code=None,
                     stage="RequestReceived", level="Request", audit_id="a2",
                     request_object={"data": {"a": "2"}}, stage_time="2026-11-26T10:00:02Z")
        + event_line(verb="patch", resource="configmaps", name="c", code=200, level="Request",
                     request_object={"data": {"b": "3"}}, audit_id="a3",
                     stage_time="2026-11-26T10:00:03Z")
    )  # fmt: skip
    history = object_history(index_files(path), parse_spec("configmaps/default/c"))
    created, unknown, after = history.entries
    assert unknown.notes == ["no response logged (stage RequestReceived): outcome unknown"]
    assert (unknown.changed, unknown.patch) == (False, None)
    # the version after an unknown outcome is unknown: the next patch cannot be applied
    assert (after.changed, after.patch) == (False, None)
    assert after.notes == ["merge patch on a version not in the log: change unknown"]
    assert history.deleted_by is None


def test_a_namespace_is_found_under_its_own_name_as_well() -> None:
    """kube-apiserver logs ``/api/v1/namespaces/foo`` with namespace ``foo``, the create of
    the Namespace with none: both are the history of ``namespaces/foo``."""
    store = index_files(FALCO)
    history = object_history(store, parse_spec("namespaces/foo"))
    assert [(e.verb, e.user) for e in history.entries] == [
        ("create", "some-user"), ("delete", "minikube-user"), ("create", "minikube-user"),
    ]  # fmt: skip
    assert history.entries[1].deletion == {"propagationPolicy": "Background"}
    assert history.deleted_by is None  # created again after the delete
    delete = history.entries[1].row
    assert object_of_row(store, delete).label() == "namespaces/foo"
