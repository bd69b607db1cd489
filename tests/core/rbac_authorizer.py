"""An RBAC authorizer for the tests, written from Kubernetes' RBAC rules (independent of the
code that makes the objects): does a set of Roles, ClusterRoles and bindings allow a request?

* A ClusterRoleBinding grants its ClusterRole everywhere; a RoleBinding grants its Role, or a
  ClusterRole, only in the binding's namespace, and only to namespaced requests.
* Subjects: a User by name, a Group by the user's groups, a ServiceAccount as the user
  ``system:serviceaccount:NS:NAME``.
* A rule allows a resource request when the verb, the API group, the resource (``*``,
  ``resource/subresource``, ``*/subresource``) and the name (an empty ``resourceNames`` allows
  every name) match; a non-resource request when the verb and a ``nonResourceURLs`` entry (equal,
  ``*``, or a prefix ending in ``*``) match.
* :data:`DEFAULT_OBJECTS` are the default ClusterRoles every authenticated user is bound to
  (``system:discovery``, ``system:basic-user``, ``system:public-info-viewer``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

AUTHENTICATED = "system:authenticated"


@dataclass(frozen=True)
class Attributes:
    """What the authorizer is asked about."""

    user: str
    verb: str
    groups: tuple[str, ...] = (AUTHENTICATED,)
    api_group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""
    is_resource: bool = True


def _default(name: str, rules: list[dict]) -> list[dict]:
    return [
        {"kind": "ClusterRole", "metadata": {"name": name}, "rules": rules},
        {
            "kind": "ClusterRoleBinding",
            "metadata": {"name": name},
            "roleRef": {"kind": "ClusterRole", "name": name},
            "subjects": [{"kind": "Group", "name": AUTHENTICATED}],
        },
    ]


DEFAULT_OBJECTS = [
    *_default(
        "system:discovery",
        [
            {
                "nonResourceURLs": [
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                    "/healthz",
                    "/livez",
                    "/openapi",
                    "/openapi/*",
                    "/readyz",
                    "/version",
                    "/version/",
                ],
                "verbs": ["get"],
            }
        ],  # fmt: skip
    ),
    *_default(
        "system:basic-user",
        [
            {
                "apiGroups": ["authorization.k8s.io"],
                "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                "verbs": ["create"],
            },
            {
                "apiGroups": ["authentication.k8s.io"],
                "resources": ["selfsubjectreviews"],
                "verbs": ["create"],
            },
        ],
    ),
    *_default(
        "system:public-info-viewer",
        [
            {
                "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"],
                "verbs": ["get"],
            }
        ],
    ),
]


def verb_matches(rule: dict, verb: str) -> bool:
    return any(v == "*" or v == verb for v in rule.get("verbs") or ())


def api_group_matches(rule: dict, group: str) -> bool:
    return any(g == "*" or g == group for g in rule.get("apiGroups") or ())


def resource_matches(rule: dict, resource: str, subresource: str) -> bool:
    combined = f"{resource}/{subresource}" if subresource else resource
    for entry in rule.get("resources") or ():
        if entry == "*" or entry == combined:
            return True
        if subresource and entry == f"*/{subresource}":
            return True
    return False


def resource_name_matches(rule: dict, name: str) -> bool:
    names = rule.get("resourceNames") or ()
    return not names or name in names


def non_resource_url_matches(rule: dict, path: str) -> bool:
    for entry in rule.get("nonResourceURLs") or ():
        if entry == "*" or entry == path:
            return True
        if entry.endswith("*") and path.startswith(entry[:-1]):
            return True
    return False


def rule_allows(rule: dict, request: Attributes) -> bool:
    if not verb_matches(rule, request.verb):
        return False
    if not request.is_resource:
        return non_resource_url_matches(rule, request.path)
    return (
        api_group_matches(rule, request.api_group)
        and resource_matches(rule, request.resource, request.subresource)
        and resource_name_matches(rule, request.name)
    )


def subject_matches(subject: dict, binding_namespace: str, request: Attributes) -> bool:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return name == request.user
    if kind == "Group":
        return name in request.groups
    if kind == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return request.user == f"system:serviceaccount:{namespace}:{name}"
    return False


def allows(objects: Iterable[dict], request: Attributes) -> bool:
    """Whether ``objects`` (plus :data:`DEFAULT_OBJECTS`) allow ``request``."""
    objects = [*DEFAULT_OBJECTS, *objects]
    roles = {
        (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o
        for o in objects
        if o["kind"] in ("Role", "ClusterRole")
    }
    for binding in objects:
        kind = binding["kind"]
        if kind not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        namespace = binding["metadata"].get("namespace", "")
        if kind == "RoleBinding" and (not request.is_resource or request.namespace != namespace):
            continue
        if not any(subject_matches(s, namespace, request) for s in binding.get("subjects", ())):
            continue
        ref = binding["roleRef"]
        role_namespace = namespace if ref["kind"] == "Role" else ""
        role = roles.get((ref["kind"], role_namespace, ref["name"]))
        if role and any(rule_allows(rule, request) for rule in role.get("rules") or ()):
            return True
    return False
