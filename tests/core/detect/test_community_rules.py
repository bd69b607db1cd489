"""The community k8s_audit rules, loaded whole and run over Falco's own k8s audit trace files.

The expected alerts below were written from reading the rules against each event (file order
in tests/data/logs/SOURCES.md): e.g. the privileged pods fire "Create Privileged Pod", the
attach and exec requests (stage ResponseStarted) fire "Attach/Exec Pod", a secret created in
default by a person fires "K8s Secret Created" while one created in kube-system, or by a
system user, does not.
"""

from __future__ import annotations

import orjson
import pytest

from kaudit_tui.core.detect import Ruleset, load_rules
from tests.conftest import DATA, LOGS

RULES = DATA / "rules" / "falco-k8s_audit_rules.yaml"
SYSCALL_RULES = DATA / "rules" / "falco_rules.yaml"
TRACES = LOGS / "falco-k8s-audit-trace-files.jsonl"

NS_CREATED = "K8s Namespace Created"
CR_CREATED = "K8s ClusterRole Created"
CM_CREATED = "K8s ConfigMap Created"
CREDENTIALS = "Create/Modify Configmap With Private Credentials"
SVC_CREATED = "K8s Service Created"
SA_CREATED = "K8s Serviceaccount Created"
SA_KUBE = "Service Account Created in Kube Namespace"

# line of the trace file (its source file upstream) -> the rules it fires, in the rules' order
EXPECTED: dict[int, list[str]] = {
    1: ["Anonymous Request Allowed", "Create Disallowed Namespace", NS_CREATED],  # anonymous
    2: ["Attach to cluster-admin Role", "K8s ClusterRoleBinding Created"],
    3: ["Attach/Exec Pod"],  # attach_pod
    4: ["ClusterRole With Pod Exec Created", CR_CREATED],
    5: ["ClusterRole With Wildcard Created", CR_CREATED],  # wildcard resources
    6: ["ClusterRole With Wildcard Created", CR_CREATED],  # wildcard verbs
    7: ["ClusterRole With Write Privileges Created", CR_CREATED],
    8: [CR_CREATED],
    9: ["K8s ClusterRoleBinding Created"],
    10: [CM_CREATED],
    11: [CM_CREATED],  # no sensitive values
    12: [CREDENTIALS, CM_CREATED],  # six configmaps with credentials
    13: [CREDENTIALS, CM_CREATED],
    14: [CREDENTIALS, CM_CREATED],
    15: [CREDENTIALS, CM_CREATED],
    16: [CREDENTIALS, CM_CREATED],
    17: [CREDENTIALS, CM_CREATED],
    18: ["K8s Deployment Created"],
    19: [],  # a secret in kube-system
    20: ["Create HostNetwork Pod"],
    21: ["Create Privileged Pod"],  # the second container is privileged
    22: [],  # no host network
    23: ["Create Privileged Pod"],
    24: ["Create Privileged Pod"],
    25: ["Create Sensitive Mount Pod"],
    26: ["Create Sensitive Mount Pod"],  # the second container mounts /etc
    27: [],  # unprivileged
    28: [],  # a mount that is not sensitive
    29: ["Create NodePort Service", SVC_CREATED],
    30: [SVC_CREATED],
    31: ["Pod Created in Kube Namespace"],  # kube-public
    32: ["Pod Created in Kube Namespace"],  # kube-system
    33: ["K8s Secret Created"],
    34: [SVC_CREATED],
    35: [],  # a service account token secret, created by a system user
    36: [SA_CREATED],
    37: [SA_KUBE, SA_CREATED],
    38: [SA_KUBE, SA_CREATED],
    39: ["System ClusterRole Modified/Deleted", "K8s ClusterRole Deleted"],
    40: ["K8s ClusterRole Deleted"],
    41: ["K8s ClusterRoleBinding Deleted"],
    42: ["K8s ConfigMap Deleted"],
    43: ["K8s Deployment Deleted"],
    44: ["K8s Namespace Deleted"],
    45: ["K8s Secret Deleted"],
    46: ["K8s Service Deleted"],
    47: ["K8s Serviceaccount Deleted"],
    48: ["Attach/Exec Pod"],  # exec_pod
    49: ["Create Disallowed Namespace", NS_CREATED],
    50: ["System ClusterRole Modified/Deleted"],  # a patch
    51: ["Disallowed K8s User", "Create Disallowed Namespace", NS_CREATED],  # some-user
}


@pytest.fixture(scope="module")
def ruleset() -> Ruleset:
    return Ruleset(load_rules([str(RULES)]))


def events() -> list[dict]:
    return [orjson.loads(line) for line in TRACES.read_bytes().splitlines() if line.strip()]


def test_the_community_rules_load_whole(ruleset: Ruleset) -> None:
    loaded = ruleset.loaded
    assert len(loaded.rules) == 48
    assert loaded.skipped == {}
    assert loaded.warnings == []
    disabled = [rule.name for rule in loaded.rules if not rule.enabled]
    assert disabled == []
    assert {rule.priority for rule in loaded.rules} == {
        "Warning",
        "Notice",
        "Informational",
        "Error",
        "Debug",
    }


def test_the_trace_files_fire_the_expected_rules(ruleset: Ruleset) -> None:
    fired = {n: [a.rule for a in ruleset.evaluate(e)] for n, e in enumerate(events(), 1)}
    assert fired == EXPECTED


def test_outputs_as_falco_writes_them(ruleset: Ruleset) -> None:
    trace = events()
    (alert,) = ruleset.evaluate(trace[23 - 1])
    assert alert.output == (
        "14:09:12.581541000: Warning Pod started with privileged container "
        "(user=system:serviceaccount:kube-system:replicaset-controller "
        "pod=nginx-deployment-5cdcc99dbf-rgw6z resource=pods ns=default images=(nginx) "
        "init_images=<NA> ephemeral_images=<NA>)"
    )
    assert alert.output_fields["ka.req.pod.containers.image"] == ["nginx"]
    assert alert.output_fields["ka.req.pod.initContainers.image"] is None
    assert alert.tags == ("k8s",)
    exec_alert = ruleset.evaluate(trace[48 - 1])[0].to_json()
    assert exec_alert["output"].endswith("action=exec command=bash)")
    assert exec_alert["output_fields"]["ka.uri.param[command]"] == "bash"
    assert exec_alert["priority"] == "Notice"
    assert exec_alert["time"] == "2018-10-26T13:38:34.902914000Z"
    secret = ruleset.evaluate(trace[33 - 1])[0].to_json()
    assert secret["output"].split(": ", 1)[1] == (
        "Informational K8s Secret Created (user=minikube-user secret=example-secret ns=default "
        "resource=secrets resp=201 decision=allow reason=)"
    )
    mount = ruleset.evaluate(trace[25 - 1])[0]
    assert mount.output_fields["jevt.value[/requestObject/spec/volumes]"] == (
        '[{"hostPath":{"path":"/etc","type":""},"name":"etc"}]'
    )


def test_overrides_turn_on_the_rules_the_community_file_leaves_to_the_user(tmp_path) -> None:
    """The file's own extension points: redefine a macro, append to a list."""
    local = tmp_path / "local.yaml"
    local.write_text(
        "- macro: consider_all_events\n"
        "  condition: (k8s_audit_always_true)\n"
        "- list: allowed_namespaces\n"
        "  items: [foo]\n"
        "  override:\n"
        "    items: append\n"
        "- rule: K8s Namespace Created\n"
        "  enabled: false\n"
    )
    ruleset = Ruleset(load_rules([str(RULES), str(local)]))
    fired = [a.rule for a in ruleset.evaluate(events()[49 - 1])]
    assert fired == ["All K8s Audit Events"]


def test_with_falcos_syscall_rules_loaded_first(tmp_path) -> None:
    """Falco's own rules file: its rules (no source: syscall) are skipped and counted, every
    macro of it is parsed, and its lists serve k8s_audit rules of a later file."""
    local = tmp_path / "local.yaml"
    local.write_text(
        "- list: shell_binaries\n"
        "  items: [nginx]\n"
        "  override:\n"
        "    items: append\n"
        "- rule: Shell image\n"
        "  desc: a pod running a shell image\n"
        "  condition: kevt and pod and kcreate and ka.req.pod.containers.image intersects "
        "(shell_binaries)\n"
        "  output: shell image (images=%ka.req.pod.containers.image)\n"
        "  priority: NOTICE\n"
        "  source: k8s_audit\n"
    )
    loaded = load_rules([str(SYSCALL_RULES), str(RULES), str(local)])
    assert len(loaded.rules) == 49
    assert loaded.skipped == {"syscall": 25}
    ruleset = Ruleset(loaded)
    fired = {n: [a.rule for a in ruleset.evaluate(e)] for n, e in enumerate(events(), 1)}
    shells = sorted(n for n, rules in fired.items() if "Shell image" in rules)
    assert shells == [20, 21, 22, 23, 24, 25, 26, 27, 31, 32]  # every pod with an nginx container
    assert {n: [r for r in rules if r != "Shell image"] for n, rules in fired.items()} == EXPECTED
