"""Least-privilege RBAC: the Roles, ClusterRoles and bindings that allow exactly the requests one
identity made, as the audit log recorded them.

The identity is matched as the authorizer sees it: the impersonated user when the request was
impersonated, else the authenticated user (like the ``who:`` query field), by exact name.

From requests to rules (each step is a pure function over :class:`Request` records):

* A namespaced resource request goes to a Role in its namespace; a cluster-scoped one (and a list
  or watch across all namespaces) and a non-resource request (``/metrics``) to the ClusterRole.
* Verbs are expanded the way clients need them (:data:`VERB_NEEDS`): a ``watch`` needs the
  ``list`` that precedes it (informers and ``kubectl get -w`` list first), and ``patch`` and
  ``update`` are read-modify-write (``kubectl apply``, ``edit``, controllers), so they bring
  ``get`` of the same objects.
* ``resourceNames`` narrow ``get``, ``update``, ``patch`` and ``delete`` (and subresources) to
  the objects used, but never ``create`` (kube-apiserver cannot authorize a create by name: the
  object has none yet in the URL), ``list``, ``watch`` or ``deletecollection``. A verb used
  both with and without a name on a resource gets one rule without names.
* Resources are grouped by API group: one rule per API group and set of verbs (and names).
* What the ClusterRole allows (bound cluster-wide) is not repeated in a Role.
* Requests every authenticated user may make under the default ClusterRoles
  (``system:discovery``, ``system:basic-user``, ``system:public-info-viewer``) need no rule and
  are left out: :func:`default_allowed`.
* Requests denied (code 403, or an ``authorization.k8s.io/decision: forbid`` annotation) count
  like any other, because granting what was denied is usually the point; ``skip_denied`` leaves
  them out and says how many.

Output is plain dicts in a fixed order (:func:`rbac_objects`), rendered as YAML documents with a
comment header that says what they cover (:meth:`RbacAnswer.yaml`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import yaml

from kaudit_tui.core.requestinfo import parse_request_uri
from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import OTHER_ID, EventStore

RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC_VERSION = f"{RBAC_GROUP}/v1"
LABEL = "kaudit-tui/rbac-for"
"""Label key on every object made, its value the ``--rbac-name`` in label characters."""
SERVICE_ACCOUNT = "system:serviceaccount:"
VERB_ORDER = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
"""How verbs are listed in a rule (others follow, alphabetically)."""
VERB_NEEDS: dict[str, tuple[str, ...]] = {
    "watch": ("list",),
    "patch": ("get",),
    "update": ("get",),
}
"""Verbs a client needs along with the one it was seen using."""
NEVER_NAMED = frozenset({"create", "list", "watch", "deletecollection"})
"""Verbs whose rules never carry ``resourceNames``."""
DENIED_CODE = 403
DEFAULT_ALLOWED_PATHS = (
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/healthz",
    "/livez",
    "/readyz",
    "/version",
    "/version/",
    "/openapi",
    "/openapi/*",
)
"""Non-resource URLs that ``system:discovery`` and ``system:public-info-viewer`` let every
authenticated user ``get`` (a trailing ``*`` is a prefix, as in RBAC)."""
DEFAULT_ALLOWED_CREATES = frozenset(
    {
        ("authorization.k8s.io", "selfsubjectaccessreviews"),
        ("authorization.k8s.io", "selfsubjectrulesreviews"),
        ("authentication.k8s.io", "selfsubjectreviews"),
    }
)
"""Resources ``system:basic-user`` lets every authenticated user ``create``."""


@dataclass(frozen=True, slots=True)
class Request:
    """What the authorizer decides a request on: its attributes, nothing else."""

    verb: str
    api_group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""
    """The URL path of a non-resource request (``/metrics``), query cut, percent-decoded."""
    is_resource: bool = True


@dataclass
class IdentityRequests:
    """The requests of one identity: how many per set of attributes, and how many denied."""

    seen: Counter[Request] = field(default_factory=Counter)
    denied: Counter[Request] = field(default_factory=Counter)


def path_matches(pattern: str, path: str) -> bool:
    """RBAC's match of a ``nonResourceURLs`` entry: equal, ``*``, or a prefix ending in ``*``."""
    if pattern == "*" or pattern == path:
        return True
    return pattern.endswith("*") and path.startswith(pattern[:-1])


def default_allowed(request: Request) -> bool:
    """Whether the default ClusterRoles bound to every authenticated user allow ``request``."""
    if not request.is_resource:
        return request.verb == "get" and any(
            path_matches(p, request.path) for p in DEFAULT_ALLOWED_PATHS
        )
    return (
        request.verb == "create"
        and not request.subresource
        and (request.api_group, request.resource) in DEFAULT_ALLOWED_CREATES
    )


def verb_key(verb: str) -> tuple[int, str]:
    return (VERB_ORDER.index(verb) if verb in VERB_ORDER else len(VERB_ORDER), verb)


def ordered_verbs(verbs: Iterable[str]) -> list[str]:
    return sorted(set(verbs), key=verb_key)


def needed_verbs(verb: str) -> tuple[str, ...]:
    """``verb`` and the verbs clients need with it (:data:`VERB_NEEDS`)."""
    return (verb, *VERB_NEEDS.get(verb, ()))


# Per scope ("" = cluster), API group, resource label and verb: the names used, or None when
# the verb needs no names (used without one, or a verb never narrowed by name).
_Grants = dict[str, dict[str, dict[str, dict[str, set[str] | None]]]]


def _grant(grants: _Grants, request: Request) -> None:
    resource = request.resource
    if request.subresource:
        resource = f"{resource}/{request.subresource}"
    verbs = grants.setdefault(request.namespace, {}).setdefault(request.api_group, {})
    verbs = verbs.setdefault(resource, {})
    for verb in needed_verbs(request.verb):
        if verb in NEVER_NAMED or not request.name:
            verbs[verb] = None
        else:
            names = verbs.setdefault(verb, set())
            if names is not None:
                names.add(request.name)


def _resource_rules(group: str, resources: dict[str, dict[str, set[str] | None]]) -> list[dict]:
    """The rules of one API group: resources sharing a set of verbs (and names) share a rule."""
    unnamed: dict[tuple[str, ...], list[str]] = {}
    named: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for resource in sorted(resources):
        verbs = resources[resource]
        anyone = tuple(ordered_verbs(v for v, names in verbs.items() if names is None))
        if anyone:
            unnamed.setdefault(anyone, []).append(resource)
        by_names: dict[tuple[str, ...], list[str]] = {}
        for verb, names in verbs.items():
            if names is not None:
                by_names.setdefault(tuple(sorted(names)), []).append(verb)
        for names, verb_list in by_names.items():
            key = (tuple(ordered_verbs(verb_list)), names)
            named.setdefault(key, []).append(resource)
    rules = [
        {"apiGroups": [group], "resources": resources_, "verbs": list(verbs)}
        for verbs, resources_ in sorted(unnamed.items(), key=lambda item: item[1])
    ]
    rules += [
        {
            "apiGroups": [group],
            "resources": resources_,
            "resourceNames": list(names),
            "verbs": list(verbs),
        }
        for (verbs, names), resources_ in sorted(named.items(), key=_named_order)
    ]
    return rules


def _named_order(item: tuple[tuple[tuple[str, ...], tuple[str, ...]], list[str]]) -> tuple:
    (verbs, names), resources = item
    return resources, [verb_key(v) for v in verbs], names


def _path_rules(paths: dict[str, set[str]]) -> list[dict]:
    by_verbs: dict[tuple[str, ...], list[str]] = {}
    for path in sorted(paths):
        by_verbs.setdefault(tuple(ordered_verbs(paths[path])), []).append(path)
    return [
        {"nonResourceURLs": urls, "verbs": list(verbs)}
        for verbs, urls in sorted(by_verbs.items(), key=lambda item: item[1])
    ]


def _drop_covered_by_cluster(grants: _Grants) -> None:
    """Leave out of the Roles what the ClusterRole, bound cluster-wide, already allows."""
    cluster = grants.get("", {})
    for scope in [s for s in grants if s]:
        for group, resources in grants[scope].items():
            for resource, verbs in resources.items():
                wide = cluster.get(group, {}).get(resource, {})
                for verb in [v for v in verbs if v in wide]:
                    names, wide_names = verbs[verb], wide[verb]
                    if wide_names is None or (names is not None and names <= wide_names):
                        del verbs[verb]
            grants[scope][group] = {r: v for r, v in resources.items() if v}
        grants[scope] = {g: r for g, r in grants[scope].items() if r}
        if not grants[scope]:
            del grants[scope]


def rbac_rules(requests: Iterable[Request]) -> dict[str, list[dict]]:
    """The policy rules allowing ``requests``, per namespace (``""``: the ClusterRole's).

    Requests allowed to everyone by default (:func:`default_allowed`) and requests without a
    verb or resource are left out. Namespaces come sorted, the cluster's first.
    """
    grants: _Grants = {}
    paths: dict[str, set[str]] = {}
    for request in requests:
        if not request.verb or default_allowed(request):
            continue
        if not request.is_resource:
            if request.path:
                paths.setdefault(request.path, set()).update(needed_verbs(request.verb))
            continue
        if request.resource:
            _grant(grants, request)
    _drop_covered_by_cluster(grants)
    rules: dict[str, list[dict]] = {}
    for scope in sorted(set(grants) | ({""} if paths else set())):
        scope_rules = []
        for group, resources in sorted(grants.get(scope, {}).items()):
            scope_rules += _resource_rules(group, resources)
        if not scope:
            scope_rules += _path_rules(paths)
        rules[scope] = scope_rules
    return rules


def subject_for(identity: str) -> dict:
    """The binding subject of ``identity``: a ServiceAccount for
    ``system:serviceaccount:NS:NAME``, else a User."""
    if identity.startswith(SERVICE_ACCOUNT):
        namespace, colon, name = identity[len(SERVICE_ACCOUNT) :].partition(":")
        if colon and namespace and name and ":" not in name:
            return {"kind": "ServiceAccount", "name": name, "namespace": namespace}
    return {"kind": "User", "apiGroup": RBAC_GROUP, "name": identity}


def default_name(identity: str) -> str:
    """``kaudit:IDENTITY``, with the characters an object name cannot hold (``/``, ``%``) as
    ``-``."""
    return "kaudit:" + re.sub(r"[/%]", "-", identity)


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name an RBAC object (kube-apiserver's path segment rule), or None."""
    if not name:
        return "the name is empty"
    if name in (".", ".."):
        return f"{name!r} cannot be a name"
    for char in "/%":
        if char in name:
            return f"a name cannot contain {char!r}"
    return None


def label_value(name: str) -> str:
    """``name`` as a label value: at most 63 letters, digits, ``-``, ``_``, ``.``, starting and
    ending with a letter or digit."""
    value = re.sub(r"[^A-Za-z0-9._-]", "-", name)[:63].strip("-._")
    return value or "kaudit"


def rbac_objects(rules: dict[str, list[dict]], identity: str, name: str) -> list[dict]:
    """ClusterRole and ClusterRoleBinding (when there are cluster rules), then a Role and a
    RoleBinding per namespace, all named ``name`` and binding ``identity``."""
    subject = subject_for(identity)
    labels = {LABEL: label_value(name)}
    objects: list[dict] = []
    for scope, scope_rules in rules.items():
        if not scope_rules:
            continue
        role_kind = "Role" if scope else "ClusterRole"
        metadata: dict = {"name": name}
        if scope:
            metadata["namespace"] = scope
        objects.append(
            {
                "apiVersion": RBAC_VERSION,
                "kind": role_kind,
                "metadata": dict(metadata, labels=dict(labels)),
                "rules": scope_rules,
            }
        )
        objects.append(
            {
                "apiVersion": RBAC_VERSION,
                "kind": f"{role_kind}Binding",
                "metadata": dict(metadata, labels=dict(labels)),
                "roleRef": {"apiGroup": RBAC_GROUP, "kind": role_kind, "name": name},
                "subjects": [dict(subject)],
            }
        )
    return objects


@dataclass
class RbacAnswer:
    """The RBAC objects for one identity and what they cover."""

    identity: str
    name: str
    requests: int
    """Requests covered (denied ones included unless left out)."""
    denied: int
    """Denied requests: among those covered, or left out when ``skip_denied``."""
    skip_denied: bool
    default_allowed: int
    """Covered requests that need no rule (allowed to every authenticated user)."""
    objects: list[dict]

    def header(self) -> list[str]:
        who = sanitize(self.identity)
        head = f"# kaudit-tui: {_count(self.requests, 'request')} by {who}"
        if self.skip_denied:
            head += f"; {_count(self.denied, 'denied request')} left out"
        elif self.denied:
            head += f" ({self.denied:,} of them denied)"
        lines = [head]
        if self.default_allowed:
            lines.append(
                f"# {self.default_allowed:,} of them need no rule: every authenticated user may "
                "make them (discovery, health, version, self reviews)"
            )
        if not self.objects:
            lines.append("# nothing to grant")
        return lines

    def yaml(self) -> str:
        """The header comments, then one YAML document per object, each opened by ``---``.

        Non-ASCII and control characters are escaped by the YAML emitter, so the text is safe
        on a terminal and reads back as the same values.
        """
        text = "\n".join(self.header()) + "\n"
        if self.objects:
            text += yaml.safe_dump_all(
                self.objects, sort_keys=False, explicit_start=True, width=4096
            )
        return text


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def identity_rows(store: EventStore, rows: np.ndarray | None, identity: str) -> np.ndarray:
    """Of ``rows`` (None: all), those whose request acted as ``identity``: the impersonated user
    when there is one, else the user (exact names). Rows no longer in the store are left out."""
    first, who = store.first_id, store.column("who")
    if rows is None:
        rows = np.arange(first, first + len(who), dtype=np.int64)
    rows = np.asarray(rows, dtype=np.int64)
    rows = rows[(rows >= first) & (rows < first + len(who))]
    table = store.who
    user = table.tables["user"].find(identity)
    acted = table.tables["as"].find(identity)
    as_codes = table.field_codes("as")
    user_codes = table.field_codes("user")
    by_shape = np.zeros(len(as_codes), np.bool_)
    if acted is not None:
        by_shape |= as_codes == acted
    if user is not None:
        by_shape |= (as_codes == 0) & (user_codes == user)
    return rows[by_shape[who[rows - first]]]


def last_stages(store: EventStore, rows: np.ndarray) -> np.ndarray:
    """Of ``rows``, the last stage of each request, ascending: one row per audit ID and URI.

    The URI is part of the key because clients may set the audit ID (the ``Audit-ID`` header),
    so two requests can share one; events without an audit ID are requests of their own.
    """
    if not len(rows):
        return rows
    index = rows - store.first_id
    hi = store.column("id_hi")[index]
    lo = store.column("id_lo")[index]
    uri = store.column("uri")[index]
    order = np.lexsort((rows, uri, lo, hi))
    hi, lo, uri = hi[order], lo[order], uri[order]
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = (hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1]) | (uri[1:] != uri[:-1])
    last |= (hi == np.uint64(OTHER_ID)) & (lo == 0)
    return np.sort(rows[order][last])


def identity_requests(store: EventStore, rows: np.ndarray, identity: str) -> IdentityRequests:
    """The requests ``identity`` made whose last stage is among ``rows``.

    A request is taken as its last stage (the one with the response code), so a query such as
    ``-code:403`` leaves a denied request out even when its RequestReceived stage matched.
    """
    found = IdentityRequests()
    latest = last_stages(store, identity_rows(store, None, identity))
    latest = latest[np.isin(latest, np.asarray(rows, dtype=np.int64))]
    if not len(latest):
        return found
    index = latest - store.first_id
    what = store.column("what")[index].astype(np.int64)
    objref = store.what.field_codes("objref")[what].astype(bool)
    uri = np.where(objref, 0, store.column("uri")[index].astype(np.int64))
    keys = np.stack(
        [what, store.column("name")[index].astype(np.int64), uri, store.column("code")[index]],
        axis=1,
    )
    unique, counts = np.unique(keys, axis=0, return_counts=True)
    fields = store.what.fields
    for (what_code, name_code, uri_code, code), count in zip(
        unique.tolist(), counts.tolist(), strict=True
    ):
        shape = dict(zip(fields, store.what.shapes.values[what_code], strict=True))
        request = _request(shape, store.names.values[name_code], store.uris.values[uri_code])
        found.seen[request] += count
        if code == DENIED_CODE or shape["decision"] == "forbid":
            found.denied[request] += count
    return found


def _request(shape: dict, name: str, uri: str) -> Request:
    verb = str(shape["verb"])
    if shape["objref"]:
        return Request(
            verb,
            str(shape["apigroup"]),
            str(shape["resource"]),
            str(shape["sub"]),
            str(shape["ns"]),
            name,
        )
    info = parse_request_uri(uri, verb) if uri else None
    if info is None:
        return Request(verb, is_resource=False)
    if info.is_resource:
        return Request(
            verb, info.api_group, info.resource, info.subresource, info.namespace, info.name
        )
    return Request(verb, path=info.path, is_resource=False)


def rbac_for(
    store: EventStore,
    rows: np.ndarray,
    identity: str,
    *,
    name: str | None = None,
    skip_denied: bool = False,
) -> RbacAnswer:
    """The least-privilege RBAC objects for the requests ``identity`` made among ``rows``."""
    found = identity_requests(store, rows, identity)
    covered = found.seen - found.denied if skip_denied else found.seen
    name = name if name is not None else default_name(identity)
    return RbacAnswer(
        identity=identity,
        name=name,
        requests=sum(covered.values()),
        denied=sum(found.denied.values()),
        skip_denied=skip_denied,
        default_allowed=sum(n for r, n in covered.items() if default_allowed(r)),
        objects=rbac_objects(rbac_rules(covered), identity, name),
    )
