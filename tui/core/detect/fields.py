"""The fields a rule can read from an audit event: ``ka.*``, ``json.value[...]`` / ``jevt.*`` and
``evt.time``.

Each field is a :class:`FieldSpec`: whether it holds several values (a list field), what
argument it takes (none, an ``[N]`` index, a required ``[key]``) and a function reading it from
the event dict. A value is a string, a list of strings for a list field, or ``None`` when the
field is not available in the event (an empty list counts as not available too, as an
extraction with no values does in Falco).

Values follow the Kubernetes audit plugin's definitions: a JSON string is its text, any other
JSON value its compact JSON text (``true``, ``200``, ``{"port":80}``). Where the plugin's code
and its documentation disagree, the documentation is followed (README, "Detections").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from kaudit_tui.core.timestamps import NO_TIME, parse_time

__all__ = [
    "FIELDS",
    "FieldError",
    "FieldRef",
    "FieldSpec",
    "event_time_ns",
    "json_text",
    "lookup_field",
    "parse_pointer",
]

Value = str | list[str] | int | None

ARG_NONE = "none"
ARG_INDEX = "index"
ARG_KEY = "key"


class FieldError(ValueError):
    """A field that does not exist, or an argument it does not take."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    is_list: bool
    arg: str
    read: Callable[[dict, Any], Value]
    numeric: bool = False
    description: str = ""


@dataclass(frozen=True)
class FieldRef:
    """A field as written in a rule: ``ka.req.pod.containers.image[0]``."""

    spec: FieldSpec
    text: str
    arg: Any

    @property
    def is_list(self) -> bool:
        # An index picks one container, but the value stays a list (of one), as in Falco.
        return self.spec.is_list

    def read(self, event: dict) -> Value:
        return self.spec.read(event, self.arg)


def json_text(value: Any) -> str:
    """A JSON value as the plugin renders it: a string as itself, anything else as JSON."""
    if type(value) is str:
        return value
    return orjson.dumps(value).decode()


def _get(event: Any, *keys: str) -> Any:
    for key in keys:
        if type(event) is not dict:
            return None
        event = event.get(key)
        if event is None:
            return None
    return event


def _audit(event: dict) -> bool:
    # The plugin ignores JSON that is no audit event (no auditID): every ka.* field is missing.
    return "auditID" in event


def _scalar(*keys: str) -> Callable[[dict, Any], Value]:
    def read(event: dict, _arg: Any) -> Value:
        if not _audit(event):
            return None
        value = _get(event, *keys)
        return None if value is None else json_text(value)

    read.path = keys  # type: ignore[attr-defined]  # for readers inlining it (alert output)
    return read


def _array(*keys: str) -> Callable[[dict, Any], Value]:
    """A JSON array read as a list field; anything else is not available."""

    def read(event: dict, _arg: Any) -> Value:
        if not _audit(event):
            return None
        value = _get(event, *keys)
        if type(value) is not list:
            return None
        return [json_text(item) for item in value if item is not None] or None

    return read


_MISSING = object()


def _items(event: dict, index: int | None, *keys: str) -> list[Any] | None:
    """The items of the array at ``keys`` (only item ``index`` with an index argument)."""
    if not _audit(event):
        return None
    array = _get(event, *keys)
    if type(array) is not list:
        return None
    if index is None:
        return array
    if index < 0 or index >= len(array):
        return None
    return [array[index]]


def _per_item(
    *keys: str, sub: tuple[str, ...], every: bool = False
) -> Callable[[dict, Any], Value]:
    """One value per array item at ``keys`` (its ``sub`` path); ``every``: an item without it
    makes the whole field unavailable (names, images), else such items are skipped."""

    def read(event: dict, index: Any) -> Value:
        items = _items(event, index, *keys)
        if items is None:
            return None
        values = []
        for item in items:
            value = _get(item, *sub)
            if value is None:
                if every:
                    return None
                continue
            values.append(json_text(value))
        return values or None

    return read


def image_repository(image: str) -> str:
    """The repository part of an image reference: no tag, no digest (``host:5000/a:1`` is
    ``host:5000/a``)."""
    image = image.split("@", 1)[0]
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        image = image[:colon]
    return image


def _repositories(*keys: str) -> Callable[[dict, Any], Value]:
    images = _per_item(*keys, sub=("image",), every=True)

    def read(event: dict, index: Any) -> Value:
        values = images(event, index)
        if not isinstance(values, list):
            return None
        return [image_repository(value) for value in values]

    return read


def _collect(
    *keys: str, values_of: Callable[[Any, dict], Iterable[str]]
) -> Callable[[dict, Any], Value]:
    """The values ``values_of(item, event)`` gives for each array item at ``keys``, flattened
    (unavailable when there are none)."""

    def read(event: dict, index: Any) -> Value:
        items = _items(event, index, *keys)
        if items is None:
            return None
        return [value for item in items for value in values_of(item, event)] or None

    return read


def _joined(*keys: str, sub: str) -> Callable[[dict, Any], Value]:
    """Per container, its command (or args) words joined by spaces."""

    def words(item: Any, _event: dict) -> Iterable[str]:
        found = _get(item, sub)
        return [" ".join(json_text(word) for word in found)] if type(found) is list else ()

    return _collect(*keys, values_of=words)


def _host_ports(*keys: str) -> Callable[[dict, Any], Value]:
    def ports(item: Any, _event: dict) -> Iterable[str]:
        found = _get(item, "ports")
        for port in found if type(found) is list else ():
            if type(port) is not dict:
                continue
            value = port.get("hostPort")
            if value is None:
                value = port.get("containerPort")  # with hostNetwork, the host's port
            if value is not None:
                yield json_text(value)

    return _collect(*keys, values_of=ports)


def _listed(*path: str) -> Callable[[Any, dict], Iterable[str]]:
    """An item's list at ``path``, its non-null entries as text."""

    def values(item: Any, _event: dict) -> Iterable[str]:
        found = _get(item, *path)
        return [json_text(v) for v in found if v is not None] if type(found) is list else ()

    return values


def _capabilities(*keys: str) -> Callable[[dict, Any], Value]:
    return _collect(*keys, values_of=_listed("securityContext", "capabilities", "add"))


def _effective(*keys: str, key: str) -> Callable[[dict, Any], Value]:
    """Per container: its securityContext's ``key``, else the pod's, else 0."""

    def value(item: Any, event: dict) -> Iterable[str]:
        own = _get(item, "securityContext", key)
        if own is not None:
            return (json_text(own),)
        pod = _get(event, "requestObject", "spec", "securityContext", key)
        return ("0" if pod is None else json_text(pod),)

    return _collect(*keys, values_of=value)


def _rules_field(key: str) -> Callable[[dict, Any], Value]:
    """``ka.req.role.rules.verbs`` and the like: every rule's ``key`` list, flattened."""
    return _collect("requestObject", "rules", values_of=_listed(key))


def _subject_names(kind: str, *, namespaced: bool = False) -> Callable[[dict, Any], Value]:
    def read(event: dict, _arg: Any) -> Value:
        subjects = _items(event, None, "requestObject", "subjects")
        if subjects is None:
            return None
        values = []
        for subject in subjects:
            if type(subject) is not dict or subject.get("kind") != kind:
                continue
            name = subject.get("name")
            if name is None:
                continue
            if namespaced:
                namespace = subject.get("namespace")
                if namespace is None:
                    continue
                values.append(f"{json_text(namespace)}:{json_text(name)}")
            else:
                values.append(json_text(name))
        return values or None

    return read


def _uri_param(event: dict, key: Any) -> Value:
    if not _audit(event):
        return None
    uri = event.get("requestURI")
    if type(uri) is not str:
        return None
    values = parse_qs(urlsplit(uri).query, keep_blank_values=True, separator="&").get(key)
    return values[0] if values else None


def _target_pod_name(event: dict, _arg: Any) -> Value:
    if not _audit(event) or _get(event, "objectRef", "resource") != "pods":
        return None
    if not _get(event, "objectRef", "subresource"):
        name = _get(event, "responseObject", "metadata", "name")
        if name is not None:
            return json_text(name)
    name = _get(event, "objectRef", "name")
    return None if name is None else json_text(name)


def _first(read: Callable[[dict, Any], Value]) -> Callable[[dict, Any], Value]:
    def first(event: dict, _arg: Any) -> Value:
        values = read(event, 0)
        return values[0] if isinstance(values, list) and values else None

    return first


def _any_privileged(event: dict, _arg: Any) -> Value:
    items = _items(event, None, "requestObject", "spec", "containers")
    if items is None:
        return None
    privileged = any(_get(item, "securityContext", "privileged") is True for item in items)
    return "true" if privileged else "false"


def _volume_hostpath(event: dict, key: Any) -> Value:
    """Whether a hostPath volume has path ``key`` (or starts with it, for ``key*``)."""
    items = _items(event, None, "requestObject", "spec", "volumes")
    if items is None:
        return None
    prefix = key[:-1] if key.endswith("*") else None
    for item in items:
        path = _get(item, "hostPath", "path")
        if type(path) is not str:
            continue
        if path == key or (prefix is not None and path.startswith(prefix)):
            return "true"
    return "false"


def _volume_types(event: dict, index: Any) -> Value:
    items = _items(event, index, "requestObject", "spec", "volumes")
    if items is None:
        return None
    values = [key for item in items if type(item) is dict for key in item if key != "name"]
    return values or None


def event_time_ns(event: dict) -> int | None:
    """The event's time in epoch nanoseconds: its stage time (the time Falco gives an audit
    event), else the time it was received."""
    for key in ("stageTimestamp", "requestReceivedTimestamp", "timestamp"):
        micros = parse_time(event.get(key))
        if micros != NO_TIME:
            return micros * 1000
    micros = parse_time(_get(event, "metadata", "creationTimestamp"))
    return None if micros == NO_TIME else micros * 1000


def _rawtime(event: dict, _arg: Any) -> Value:
    ns = event_time_ns(event)
    return None if ns is None else str(ns)


def _evt_rawtime(event: dict, _arg: Any) -> Value:
    return event_time_ns(event)


def format_clock(ns: int) -> str:
    """``HH:MM:SS.nnnnnnnnn`` (UTC) of epoch nanoseconds, as Falco prints ``evt.time``."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    seconds %= 86400
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}.{fraction:09d}"


def _evt_time(event: dict, _arg: Any) -> Value:
    ns = event_time_ns(event)
    return None if ns is None else format_clock(ns)


def parse_pointer(text: str) -> tuple[str, ...]:
    """An RFC 6901 JSON pointer's reference tokens (``~1`` is ``/``, ``~0`` is ``~``)."""
    if text == "":
        return ()
    # The json plugin also takes a pointer without its leading '/' (``json.value[stage]``).
    tokens = []
    for token in text.removeprefix("/").split("/"):
        if re.search(r"~[^01]|~$", token):
            raise FieldError(f"JSON pointer {text!r}: '~' must be followed by 0 or 1")
        tokens.append(token.replace("~1", "/").replace("~0", "~"))
    return tuple(tokens)


def _json_value(event: dict, tokens: Any) -> Value:
    value: Any = event
    for token in tokens:
        if type(value) is dict:
            if token not in value:
                return None
            value = value[token]
        elif type(value) is list:
            if not token.isdigit():
                return None
            index = int(token)
            if index >= len(value):
                return None
            value = value[index]
        else:
            return None
    return json_text(value)


def _json_obj(event: dict, _arg: Any) -> Value:
    return orjson.dumps(event).decode()


FIELDS: dict[str, FieldSpec] = {}


def _add(
    name: str,
    read: Callable[[dict, Any], Value],
    *,
    is_list: bool = False,
    arg: str = ARG_NONE,
    numeric: bool = False,
) -> None:
    FIELDS[name] = FieldSpec(name, is_list, arg, read, numeric)


_ANNOTATIONS = {
    "ka.auth.decision": "authorization.k8s.io/decision",
    "ka.auth.reason": "authorization.k8s.io/reason",
    "ka.auth.openshift.decision": "authentication.openshift.io/decision",
    "ka.auth.openshift.username": "authentication.openshift.io/username",
    "ka.validations.admission.policy.failure": (
        "validation.policy.admission.k8s.io/validation_failure"
    ),
    "ka.security.pod.violations": "pod-security.kubernetes.io/audit-violations",
    "ka.cluster.name": "cluster_name",
}

_add("ka.auditid", _scalar("auditID"))
_add("ka.stage", _scalar("stage"))
for _name, _key in _ANNOTATIONS.items():
    _add(_name, _scalar("annotations", _key))
_add("ka.user.name", _scalar("user", "username"))
_add("ka.user.groups", _array("user", "groups"), is_list=True)
_add("ka.impuser.name", _scalar("impersonatedUser", "username"))
_add("ka.verb", _scalar("verb"))
_add("ka.uri", _scalar("requestURI"))
_add("ka.uri.param", _uri_param, arg=ARG_KEY)
_add("ka.target.name", _scalar("objectRef", "name"))
_add("ka.target.namespace", _scalar("objectRef", "namespace"))
_add("ka.target.resource", _scalar("objectRef", "resource"))
_add("ka.target.subresource", _scalar("objectRef", "subresource"))
_add("ka.target.pod.name", _target_pod_name)
_add("ka.req.binding.subjects", _array("requestObject", "subjects"), is_list=True)
_add("ka.req.binding.subjects.user_names", _subject_names("User"), is_list=True)
_add("ka.req.binding.subjects.serviceaccount_names", _subject_names("ServiceAccount"), is_list=True)
_add(
    "ka.req.binding.subjects.serviceaccount_ns_names",
    _subject_names("ServiceAccount", namespaced=True),
    is_list=True,
)
_add("ka.req.binding.subjects.group_names", _subject_names("Group"), is_list=True)
_add("ka.req.binding.role", _scalar("requestObject", "roleRef", "name"))
_add("ka.req.binding.subject.has_name", lambda event, arg: "N/A", arg=ARG_KEY)
_add("ka.req.configmap.name", _scalar("objectRef", "name"))
_add("ka.req.configmap.obj", _scalar("requestObject", "data"))

for _list in ("containers", "initContainers", "ephemeralContainers"):
    _keys = ("requestObject", "spec", _list)
    _prefix = f"ka.req.pod.{_list}."
    _per_container: dict[str, Callable[[dict, Any], Value]] = {
        "name": _per_item(*_keys, sub=("name",), every=True),
        "image": _per_item(*_keys, sub=("image",), every=True),
        "image.repository": _repositories(*_keys),
        "command": _joined(*_keys, sub="command"),
        "args": _joined(*_keys, sub="args"),
        "host_port": _host_ports(*_keys),
        "add_capabilities": _capabilities(*_keys),
        "eff_run_as_user": _effective(*_keys, key="runAsUser"),
        "eff_run_as_group": _effective(*_keys, key="runAsGroup"),
    }
    for _field, _context_key in (
        ("privileged", "privileged"),
        ("allow_privilege_escalation", "allowPrivilegeEscalation"),
        ("read_only_fs", "readOnlyRootFilesystem"),
        ("run_as_user", "runAsUser"),
        ("run_as_group", "runAsGroup"),
        ("proc_mount", "procMount"),
    ):
        _per_container[_field] = _per_item(*_keys, sub=("securityContext", _context_key))
    for _field, _read in _per_container.items():
        _add(_prefix + _field, _read, is_list=True, arg=ARG_INDEX)

_CONTAINERS = ("requestObject", "spec", "containers")
_add("ka.req.container.image", _first(_per_item(*_CONTAINERS, sub=("image",), every=True)))
_add("ka.req.container.image.repository", _first(_repositories(*_CONTAINERS)))
_add("ka.req.container.privileged", _any_privileged)
_add("ka.req.pod.host_ipc", _scalar("requestObject", "spec", "hostIPC"))
_add("ka.req.pod.host_network", _scalar("requestObject", "spec", "hostNetwork"))
_add("ka.req.container.host_network", _scalar("requestObject", "spec", "hostNetwork"))
_add("ka.req.pod.host_pid", _scalar("requestObject", "spec", "hostPID"))
_add("ka.req.pod.run_as_user", _scalar("requestObject", "spec", "securityContext", "runAsUser"))
_add("ka.req.pod.run_as_group", _scalar("requestObject", "spec", "securityContext", "runAsGroup"))
_add("ka.req.pod.fs_group", _scalar("requestObject", "spec", "securityContext", "fsGroup"))
_add(
    "ka.req.pod.supplemental_groups",
    _array("requestObject", "spec", "securityContext", "supplementalGroups"),
    is_list=True,
)
_add("ka.req.role.rules", _array("requestObject", "rules"), is_list=True)
for _field in ("apiGroups", "nonResourceURLs", "verbs", "resources"):
    _add(f"ka.req.role.rules.{_field}", _rules_field(_field), is_list=True, arg=ARG_INDEX)
_add("ka.req.service.type", _scalar("requestObject", "spec", "type"))
_add(
    "ka.req.service.ports",
    _per_item("requestObject", "spec", "ports", sub=()),
    is_list=True,
    arg=ARG_INDEX,
)
_add("ka.req.volume.hostpath", _volume_hostpath, arg=ARG_KEY)
_VOLUMES = ("requestObject", "spec", "volumes")
_add(
    "ka.req.pod.volumes.hostpath",
    _per_item(*_VOLUMES, sub=("hostPath", "path")),
    is_list=True,
    arg=ARG_INDEX,
)
_add(
    "ka.req.pod.volumes.flexvolume_driver",
    _per_item(*_VOLUMES, sub=("flexVolume", "driver")),
    is_list=True,
    arg=ARG_INDEX,
)
_add("ka.req.pod.volumes.volume_type", _volume_types, is_list=True, arg=ARG_INDEX)
_add("ka.resp.name", _scalar("responseObject", "metadata", "name"))
_add("ka.response.code", _scalar("responseStatus", "code"))
_add("ka.response.reason", _scalar("responseStatus", "reason"))
_add("ka.useragent", _scalar("userAgent"))
_add("ka.sourceips", _per_item("sourceIPs", sub=()), is_list=True, arg=ARG_INDEX)

for _ns in ("json", "jevt"):
    _add(f"{_ns}.value", _json_value, arg=ARG_KEY)
    _add(f"{_ns}.obj", _json_obj)
    _add(f"{_ns}.rawtime", _rawtime)
_add("evt.time", _evt_time)
_add("evt.rawtime", _evt_rawtime, numeric=True)


def lookup_field(name: str, arg: str | None) -> FieldRef:
    """The field ``name`` with its argument (the text between ``[`` and ``]``, or None)."""
    spec = FIELDS.get(name)
    if spec is None:
        raise FieldError(f"unknown field {name!r}")
    text = name if arg is None else f"{name}[{arg}]"
    if spec.arg == ARG_NONE:
        if arg is not None:
            raise FieldError(f"field {name!r} takes no argument")
        return FieldRef(spec, text, None)
    if spec.arg == ARG_INDEX:
        if arg is None:
            return FieldRef(spec, text, None)
        if not arg.isdigit():
            raise FieldError(f"field {name!r} takes a numeric index argument, not {arg!r}")
        return FieldRef(spec, text, int(arg))
    if not arg:
        raise FieldError(f"field {name!r} requires an argument: {name}[...]")
    if spec.read is _json_value:
        return FieldRef(spec, text, parse_pointer(arg))
    return FieldRef(spec, text, arg)
