"""Every ka.* field of the Kubernetes audit plugin, json.value and the jevt.* aliases, read as
the plugin's README defines them."""

from __future__ import annotations

import re

import orjson
import pytest

from kaudit_tui.core.detect import FIELDS, FieldError, lookup_field
from kaudit_tui.core.detect.fields import image_repository, parse_pointer
from tests.conftest import DATA
from tests.events import audit_event

README = DATA / "rules" / "falco-k8saudit-plugin-README.md"

POD = {
    "spec": {
        "hostIPC": True,
        "hostNetwork": True,
        "hostPID": False,
        "securityContext": {
            "runAsUser": 1000,
            "runAsGroup": 3000,
            "fsGroup": 2000,
            "supplementalGroups": [4000, 5000],
        },
        "containers": [
            {
                "name": "web",
                "image": "registry.local:5000/team/web:1.2",
                "command": ["nginx", "-g"],
                "args": ["daemon off;"],
                "ports": [{"containerPort": 80, "hostPort": 8080}, {"containerPort": 443}],
                "securityContext": {
                    "privileged": True,
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "runAsUser": 0,
                    "procMount": "Unmasked",
                    "capabilities": {"add": ["NET_ADMIN", "SYS_TIME"]},
                },
            },
            {"name": "side", "image": "busybox@sha256:0123"},
        ],
        "initContainers": [
            {"name": "init", "image": "alpine:3", "securityContext": {"privileged": True}}
        ],
        "ephemeralContainers": [{"name": "debug", "image": "busybox"}],
        "volumes": [
            {"name": "host", "hostPath": {"path": "/etc/kubernetes", "type": ""}},
            {"name": "flex", "flexVolume": {"driver": "example/lvm"}},
            {"name": "cfg", "configMap": {"name": "c"}},
        ],
    }
}

EVENT = audit_event(
    audit_id="id-1",
    stage="ResponseComplete",
    verb="create",
    user="alice",
    groups=("system:authenticated", "dev"),
    impersonated="bob",
    uri="/api/v1/namespaces/ns1/pods/p1/exec?command=sh&command=-c&container=web&tty",
    ips=("10.0.0.1", "10.0.0.2"),
    agent="kubectl/v1.31.0",
    resource="pods",
    namespace="ns1",
    name="p1",
    subresource="exec",
    code=201,
    request_object=POD,
    response_object={"metadata": {"name": "p1-resp"}},
    annotations={
        "authorization.k8s.io/decision": "allow",
        "authorization.k8s.io/reason": "RBAC: allowed",
        "authentication.openshift.io/decision": "allow",
        "authentication.openshift.io/username": "oc-user",
        "validation.policy.admission.k8s.io/validation_failure": "[{...}]",
        "pod-security.kubernetes.io/audit-violations": "privileged",
        "cluster_name": "prod",
    },
)
EVENT["responseStatus"]["reason"] = "Created"


def value(name: str, event: dict = EVENT):
    text, _, arg = name.partition("[")
    ref = lookup_field(text, arg[:-1] if arg else None)
    result = ref.read(event)
    return None if result == [] else result


def test_every_field_of_the_plugin_readme_is_known() -> None:
    """The README's table (ka.* rows) against the registry, list types included."""
    rows = re.findall(r"^\| `(ka\.[^`]+)`\s*\| `([^`]+)`", README.read_text(), re.MULTILINE)
    assert len(rows) > 90
    for name, kind in rows:
        assert name in FIELDS, name
        assert FIELDS[name].is_list == kind.endswith("(list)"), name


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("ka.auditid", "id-1"),
        ("ka.stage", "ResponseComplete"),
        ("ka.auth.decision", "allow"),
        ("ka.auth.reason", "RBAC: allowed"),
        ("ka.auth.openshift.decision", "allow"),
        ("ka.auth.openshift.username", "oc-user"),
        ("ka.validations.admission.policy.failure", "[{...}]"),
        ("ka.security.pod.violations", "privileged"),
        ("ka.cluster.name", "prod"),
        ("ka.user.name", "alice"),
        ("ka.user.groups", ["system:authenticated", "dev"]),
        ("ka.impuser.name", "bob"),
        ("ka.verb", "create"),
        ("ka.uri", "/api/v1/namespaces/ns1/pods/p1/exec?command=sh&command=-c&container=web&tty"),
        ("ka.uri.param[command]", "sh"),  # the first value
        ("ka.uri.param[container]", "web"),
        ("ka.uri.param[tty]", ""),
        ("ka.uri.param[missing]", None),
        ("ka.target.name", "p1"),
        ("ka.target.namespace", "ns1"),
        ("ka.target.resource", "pods"),
        ("ka.target.subresource", "exec"),
        ("ka.target.pod.name", "p1"),
        ("ka.req.configmap.name", "p1"),  # the object's name, whatever its resource
        ("ka.req.binding.subject.has_name[x]", "N/A"),  # documented as always N/A
        ("ka.req.pod.host_ipc", "true"),
        ("ka.req.pod.host_network", "true"),
        ("ka.req.container.host_network", "true"),
        ("ka.req.pod.host_pid", "false"),
        ("ka.req.pod.run_as_user", "1000"),
        ("ka.req.pod.run_as_group", "3000"),
        ("ka.req.pod.fs_group", "2000"),
        ("ka.req.pod.supplemental_groups", ["4000", "5000"]),
        ("ka.req.pod.containers.name", ["web", "side"]),
        ("ka.req.pod.containers.name[1]", ["side"]),
        (
            "ka.req.pod.containers.image",
            ["registry.local:5000/team/web:1.2", "busybox@sha256:0123"],
        ),
        ("ka.req.pod.containers.image.repository", ["registry.local:5000/team/web", "busybox"]),
        ("ka.req.container.image", "registry.local:5000/team/web:1.2"),
        ("ka.req.container.image.repository", "registry.local:5000/team/web"),
        ("ka.req.pod.containers.command", ["nginx -g"]),
        ("ka.req.pod.containers.args", ["daemon off;"]),
        ("ka.req.pod.containers.host_port", ["8080", "443"]),
        ("ka.req.pod.containers.privileged", ["true"]),  # containers without it are skipped
        ("ka.req.container.privileged", "true"),
        ("ka.req.pod.containers.allow_privilege_escalation", ["false"]),
        ("ka.req.pod.containers.read_only_fs", ["true"]),
        ("ka.req.pod.containers.run_as_user", ["0"]),
        ("ka.req.pod.containers.eff_run_as_user", ["0", "1000"]),  # own, else the pod's
        ("ka.req.pod.containers.run_as_group", None),
        ("ka.req.pod.containers.eff_run_as_group", ["3000", "3000"]),
        ("ka.req.pod.containers.proc_mount", ["Unmasked"]),
        ("ka.req.pod.containers.add_capabilities", ["NET_ADMIN", "SYS_TIME"]),
        ("ka.req.pod.initContainers.name", ["init"]),
        ("ka.req.pod.initContainers.image.repository", ["alpine"]),
        ("ka.req.pod.initContainers.privileged", ["true"]),
        ("ka.req.pod.initContainers.eff_run_as_user", ["1000"]),
        ("ka.req.pod.ephemeralContainers.name", ["debug"]),
        ("ka.req.pod.ephemeralContainers.image", ["busybox"]),
        ("ka.req.pod.ephemeralContainers.privileged", None),
        ("ka.req.pod.volumes.hostpath", ["/etc/kubernetes"]),
        ("ka.req.pod.volumes.flexvolume_driver", ["example/lvm"]),
        ("ka.req.pod.volumes.volume_type", ["hostPath", "flexVolume", "configMap"]),
        ("ka.req.volume.hostpath[/etc/kubernetes]", "true"),
        ("ka.req.volume.hostpath[/etc*]", "true"),
        ("ka.req.volume.hostpath[/etc]", "false"),
        ("ka.resp.name", "p1-resp"),
        ("ka.response.code", "201"),
        ("ka.response.reason", "Created"),
        ("ka.useragent", "kubectl/v1.31.0"),
        ("ka.sourceips", ["10.0.0.1", "10.0.0.2"]),
        ("ka.sourceips[1]", ["10.0.0.2"]),
    ],
)
def test_field_values(field: str, expected) -> None:
    assert value(field) == expected


def test_pod_name_of_a_plain_pod_request_is_the_response_object_name() -> None:
    event = audit_event(resource="pods", name=None, response_object={"metadata": {"name": "w"}})
    assert value("ka.target.pod.name", event) == "w"
    assert value("ka.target.pod.name", audit_event(resource="secrets", name="s")) is None


def test_binding_fields() -> None:
    binding = {
        "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [
            {"kind": "User", "name": "alice"},
            {"kind": "Group", "name": "devs"},
            {"kind": "ServiceAccount", "name": "sa", "namespace": "ns"},
        ],
    }
    event = audit_event(resource="clusterrolebindings", request_object=binding)
    assert value("ka.req.binding.role", event) == "cluster-admin"
    assert value("ka.req.binding.subjects", event) == [
        '{"kind":"User","name":"alice"}',
        '{"kind":"Group","name":"devs"}',
        '{"kind":"ServiceAccount","name":"sa","namespace":"ns"}',
    ]
    assert value("ka.req.binding.subjects.user_names", event) == ["alice"]
    assert value("ka.req.binding.subjects.group_names", event) == ["devs"]
    assert value("ka.req.binding.subjects.serviceaccount_names", event) == ["sa"]
    assert value("ka.req.binding.subjects.serviceaccount_ns_names", event) == ["ns:sa"]


def test_role_fields() -> None:
    role = {
        "rules": [
            {"apiGroups": [""], "resources": ["pods", "pods/exec"], "verbs": ["get", "create"]},
            {"nonResourceURLs": ["/healthz"], "verbs": ["*"]},
        ]
    }
    event = audit_event(resource="clusterroles", request_object=role)
    assert value("ka.req.role.rules", event) == [
        '{"apiGroups":[""],"resources":["pods","pods/exec"],"verbs":["get","create"]}',
        '{"nonResourceURLs":["/healthz"],"verbs":["*"]}',
    ]
    assert value("ka.req.role.rules.verbs", event) == ["get", "create", "*"]
    assert value("ka.req.role.rules.verbs[1]", event) == ["*"]
    assert value("ka.req.role.rules.resources", event) == ["pods", "pods/exec"]
    assert value("ka.req.role.rules.apiGroups", event) == [""]
    assert value("ka.req.role.rules.nonResourceURLs", event) == ["/healthz"]


def test_configmap_and_service_fields() -> None:
    configmap = audit_event(resource="configmaps", name="c", request_object={"data": {"k": "v"}})
    assert value("ka.req.configmap.obj", configmap) == '{"k":"v"}'
    service = {"spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}}
    event = audit_event(resource="services", request_object=service)
    assert value("ka.req.service.type", event) == "NodePort"
    assert value("ka.req.service.ports", event) == ['{"port":80,"nodePort":30080}']


def test_an_index_beyond_the_containers_is_not_available() -> None:
    assert value("ka.req.pod.containers.image[5]") is None


def test_a_container_without_an_image_makes_images_unavailable() -> None:
    pod = {"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b"}]}}
    assert value("ka.req.pod.containers.image", audit_event(request_object=pod)) is None


def test_json_that_is_no_audit_event_has_no_ka_fields() -> None:
    event = audit_event(audit_id=None, verb="get")
    assert value("ka.verb", event) is None
    assert value("json.value[/verb]", event) == "get"


@pytest.mark.parametrize("prefix", ["json", "jevt"])
def test_json_value_follows_rfc_6901(prefix: str) -> None:
    event = audit_event(**{"a/b": {"m~n": [10, {"k": True}]}, "s": "text", "": "empty"})
    assert value(f"{prefix}.value[/a~1b/m~0n/0]", event) == "10"
    assert value(f"{prefix}.value[/a~1b/m~0n/1]", event) == '{"k":true}'
    assert value(f"{prefix}.value[/a~1b/m~0n/1/k]", event) == "true"
    assert value(f"{prefix}.value[/a~1b/m~0n/2]", event) is None
    assert value(f"{prefix}.value[/a~1b/m~0n/-]", event) is None
    assert value(f"{prefix}.value[/s]", event) == "text"  # a string without its quotes
    assert value(f"{prefix}.value[s]", event) == "text"  # the plugin takes it without '/'
    assert value(f"{prefix}.value[/]", event) == "empty"
    assert value(f"{prefix}.value[/nope]", event) is None
    assert value(f"{prefix}.obj", event) == orjson.dumps(event).decode()


def test_pointer_tokens() -> None:
    assert parse_pointer("/a~1b/~01") == ("a/b", "~1")
    with pytest.raises(FieldError):
        parse_pointer("/a~2")


def test_times() -> None:
    event = audit_event(stage_time="2018-10-25T13:58:49.730588Z")
    assert value("jevt.rawtime", event) == "1540475929730588000"
    assert value("json.rawtime", event) == "1540475929730588000"
    assert value("evt.time", event) == "13:58:49.730588000"
    assert value("evt.rawtime", event) == 1540475929730588000


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        ("nginx", "nginx"),
        ("nginx:1.25", "nginx"),
        ("docker.io/falcosecurity/falco:0.38", "docker.io/falcosecurity/falco"),
        ("localhost:5000/app", "localhost:5000/app"),
        ("localhost:5000/app:v1@sha256:ab", "localhost:5000/app"),
        ("busybox@sha256:ab", "busybox"),
    ],
)
def test_image_repository(image: str, repository: str) -> None:
    assert image_repository(image) == repository


@pytest.mark.parametrize(
    ("name", "arg", "words"),
    [
        ("ka.nope", None, "unknown field"),
        ("ka.verb", "x", "takes no argument"),
        ("ka.uri.param", None, "requires an argument"),
        ("json.value", None, "requires an argument"),
        ("ka.req.pod.containers.image", "first", "numeric index"),
    ],
)
def test_field_errors(name: str, arg, words: str) -> None:
    with pytest.raises(FieldError, match=words):
        lookup_field(name, arg)
