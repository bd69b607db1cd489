"""An object's history: every request that touched one object, in time order, with what each
write changed.

The object is named as ``RESOURCE[/NAMESPACE]/NAME`` (:func:`parse_spec`); ``RESOURCE`` may
carry its API group (``deployments.apps``). Requests on its subresources (``pods/status``,
``deployments/scale``) are part of it, and so is a create whose name the objectRef lacks
(``generateName``, or the name only in the URL): it is the object's when the URL, the response
or the request body names it.

Finding the requests costs no pass over the raw log: the request shapes with the resource and
namespace are picked from the index's tables, the name by its interned code, and both are
lifted to rows with numpy, like a query's terms. Only those rows are read back from disk (and
creates without a name, to learn the name). A request is taken once, as its last logged stage.

Versions: each successful write with a logged body gives the object's new version: the
``responseObject`` when it is the object, else the ``requestObject`` (a create's or update's
object, or a patch applied to the version before, see :mod:`.patches`); a ``get`` that logged
its response also tells the current version, without being a change. ``scale`` bodies set
``spec.replicas``; a ``status`` update sets ``status``. A ``deletecollection`` of the resource
and namespace is the object's when its logged response lists it. Dry runs (``dryRun=All``),
failed and denied requests change nothing. When the log holds no body (level ``Metadata``) the
change is unknown, and a policy, when given, tells which rule would have logged it.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from kaudit_tui.core.answers.patches import (
    JsonPatch,
    PatchError,
    apply_patch,
    diff_ops,
    patch_kind,
    sections,
    unified_diff,
    without_noise,
)
from kaudit_tui.core.answers.rbac import DENIED_CODE, last_stages
from kaudit_tui.core.requestinfo import parse_query, parse_request_uri, split_uri
from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.store import EventStore
from kaudit_tui.core.timestamps import NO_TIME, format_time

WRITES = frozenset({"create", "update", "patch", "delete", "deletecollection"})
"""Verbs that change an object (a ``deletecollection`` counts when its response lists it)."""
DELETES = frozenset({"delete", "deletecollection"})
BODY_LEVELS = frozenset({"Request", "RequestResponse"})
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._:-]+")
"""Names that JSON writes as they are (no escapes), so a byte search finds them."""


class SpecError(ValueError):
    """A ``RESOURCE[/NAMESPACE]/NAME`` that names no object."""


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """Which object: resource (and API group, None for any), namespace ("" cluster-scoped),
    name."""

    resource: str
    namespace: str
    name: str
    group: str | None = None

    def label(self) -> str:
        resource = f"{self.resource}.{self.group}" if self.group else self.resource
        parts = [resource, self.namespace, self.name] if self.namespace else [resource, self.name]
        return "/".join(parts)


def parse_spec(text: str) -> ObjectSpec:
    """``deployments/shop/frontend`` or ``clusterrolebindings/admin-x`` as an ObjectSpec.

    Raises:
        SpecError: not two or three non-empty parts separated by ``/``.
    """
    parts = text.split("/")
    if len(parts) == 4 and all(parts):
        raise SpecError(
            f"expected RESOURCE/NAMESPACE/NAME, not {text!r}: a subresource ({parts[3]!r}) is "
            f"part of its object's history, so name the object: {'/'.join(parts[:3])}"
        )
    if len(parts) not in (2, 3) or not all(parts):
        raise SpecError(
            f"expected RESOURCE/NAMESPACE/NAME or RESOURCE/NAME (cluster-scoped), such as "
            f"deployments/shop/frontend, not {text!r}"
        )
    resource, group = parts[0], None
    if "." in resource:
        resource, group = resource.split(".", 1)
        if not resource or not group:
            raise SpecError(f"expected RESOURCE or RESOURCE.GROUP, not {parts[0]!r}")
    if len(parts) == 2:
        return ObjectSpec(resource.lower(), "", parts[1], group)
    return ObjectSpec(resource.lower(), parts[1], parts[2], group)


def object_of_row(store: EventStore, row: int) -> ObjectSpec | None:
    """The object the request of ``row`` touched (for the UI's ``o``), or None when it names
    none (a list, a non-resource request, a create whose name nothing logged)."""
    values = store.row(row)
    if not values["objref"] or not values["resource"]:
        return None
    name = str(values["name"])
    if not name:
        name = _name_of_create(store, row) if values["verb"] == "create" else ""
    if not name:
        return None
    resource, namespace = str(values["resource"]), str(values["ns"])
    if resource == "namespaces" and namespace == name:
        namespace = ""  # a Namespace is cluster-scoped
    return ObjectSpec(resource, namespace, name, str(values["apigroup"]))


@dataclass
class Entry:
    """One request on the object, as its last logged stage."""

    row: int
    audit_id: str
    time: int
    """Stage time, epoch microseconds."""
    verb: str
    subresource: str
    user: str
    impersonated: str
    code: int
    stage: str
    level: str
    latency: int | None
    """Stage time minus received time, microseconds; None when either is missing."""
    uri: str
    dry_run: bool = False
    denied: bool = False
    failed: bool = False
    body_logged: bool = False
    """Whether the log holds a request or response body (level Request or RequestResponse)."""
    patch_kind: str = ""
    """For a PATCH: ``json``, ``merge``, ``strategic``, ``apply`` (see :mod:`.patches`)."""
    before: dict | None = None
    after: dict | None = None
    changed: bool = False
    """A write that took effect and whose result is known (``patch`` holds it)."""
    patch: JsonPatch | None = None
    notes: list[str] = field(default_factory=list)
    deletion: dict[str, Any] | None = None
    """For a delete: ``propagationPolicy``, ``preconditions``, ``gracePeriodSeconds``,
    ``orphanDependents`` where logged."""

    @property
    def is_write(self) -> bool:
        return self.verb in WRITES

    @property
    def took_effect(self) -> bool:
        """Answered with success (a code below 400), not denied, not a dry run."""
        return 0 < self.code < 400 and not self.denied and not self.dry_run

    def diff(self, *, noise: bool = False) -> list[str]:
        """The change as unified diff lines, one hunk group per section."""
        if not self.changed or self.after is None:
            return []
        return unified_diff(self.before, self.after, noise=noise)

    def sections(self, *, noise: bool = False) -> list[str]:
        """The top-level sections the change touched (``spec``, ``status``…)."""
        if not self.changed:
            return []
        if noise:
            return sections(self.before, self.after)
        return sections(without_noise(self.before), without_noise(self.after))

    def json(self) -> dict[str, Any]:
        """The ``--json`` record: exactly ``auditID``, ``time``, ``verb``, ``user``, ``code``,
        ``dryRun``, ``patch``."""
        return {
            "auditID": self.audit_id,
            "time": format_time(self.time) if self.time != NO_TIME else None,
            "verb": self.verb,
            "user": self.user,
            "code": self.code or None,
            "dryRun": self.dry_run,
            "patch": self.patch,
        }


@dataclass
class History:
    """The requests on one object, oldest first, and how it ended."""

    spec: ObjectSpec
    entries: list[Entry]

    @property
    def changes(self) -> int:
        return sum(entry.changed for entry in self.entries)

    @property
    def deleted_by(self) -> Entry | None:
        """The delete that ended the history, when the last write that took effect was one."""
        for entry in reversed(self.entries):
            if entry.is_write and entry.took_effect:
                return entry if entry.verb in DELETES and not entry.subresource else None
        return None

    def header(self) -> str:
        counts = [f"{self.changes:,} change" + ("" if self.changes == 1 else "s")]
        for label, flag in (("denied", "denied"), ("failed", "failed"), ("dry run", "dry_run")):
            number = sum(bool(getattr(entry, flag)) for entry in self.entries)
            if number:
                counts.append(f"{number:,} {label}")
        requests = len(self.entries)
        return (
            f"history of {sanitize(self.spec.label())}: {requests:,} request"
            + ("" if requests == 1 else "s")
            + f" ({', '.join(counts)})"
        )

    def footer(self) -> str | None:
        entry = self.deleted_by
        if entry is None:
            return None
        return f"deleted by {who_text(entry)} at {format_time(entry.time)}" + (
            f" ({deletion_text(entry.deletion)})" if entry.deletion else ""
        )


def who_text(entry: Entry) -> str:
    """The user, and the user it acted as when impersonating (sanitized)."""
    text = sanitize(entry.user or "(no user)")
    if entry.impersonated:
        text += f" as {sanitize(entry.impersonated)}"
    return text


def deletion_text(deletion: dict[str, Any]) -> str:
    return "; ".join(
        f"{key}: {sanitize(orjson.dumps(value).decode()) if isinstance(value, dict) else sanitize(str(value))}"  # noqa: E501
        for key, value in deletion.items()
    )


def candidate_rows(store: EventStore, spec: ObjectSpec) -> np.ndarray:
    """Rows that may be requests on the object, found from the index alone: its resource,
    namespace and name, or its resource and namespace in a create that logged no name."""
    what = store.column("what")
    first = store.first_id
    table = store.what
    resource = table.tables["resource"].find(spec.resource)
    namespaces = table.tables["ns"].codes_of(_namespaces_of(spec))
    if resource is None or not namespaces:
        return np.zeros(0, dtype=np.int64)
    shapes = (table.field_codes("resource") == resource) & np.isin(
        table.field_codes("ns"), namespaces
    )
    shapes &= table.field_codes("objref").astype(bool)
    if spec.group is not None:
        group = table.tables["apigroup"].find(spec.group)
        if group is None:
            return np.zeros(0, dtype=np.int64)
        shapes &= table.field_codes("apigroup") == group
    verbs = table.field_codes("verb")
    unnamed = np.zeros(len(verbs), np.bool_)
    for verb in ("create", "deletecollection"):
        code = table.tables["verb"].find(verb)
        if code is not None:
            unnamed |= shapes & (verbs == code)
    names = store.column("name")
    name = store.names.find(spec.name)
    hit = shapes[what] & (names == name) if name is not None else np.zeros(len(what), np.bool_)
    hit |= unnamed[what] & (names == 0)
    return np.flatnonzero(hit).astype(np.int64) + first


def _namespaces_of(spec: ObjectSpec) -> list[str]:
    """The objectRef namespaces of requests on the object: a Namespace's own requests carry its
    name as their namespace (the apiserver parses ``/api/v1/namespaces/NAME`` so), its create
    none."""
    if spec.resource == "namespaces" and not spec.namespace:
        return ["", spec.name]
    return [spec.namespace]


def object_rows(store: EventStore, spec: ObjectSpec) -> np.ndarray:
    """The last stage of every request on the object, in time order (then log order)."""
    rows = last_stages(store, candidate_rows(store, spec))
    keep = [row for row in rows.tolist() if _names_object(store, row, spec)]
    rows = np.asarray(keep, dtype=np.int64)
    if not len(rows):
        return rows
    times = store.column("ts")[rows - store.first_id]
    return rows[np.lexsort((rows, times))]


def _names_object(store: EventStore, row: int, spec: ObjectSpec) -> bool:
    try:
        return _is_request_on(store, row, spec)
    except LookupError:  # dropped to keep within --max-events meanwhile
        return False


def _is_request_on(store: EventStore, row: int, spec: ObjectSpec) -> bool:
    values = store.row(row)
    name = str(values["name"])
    if name:
        return name == spec.name
    if values["verb"] == "deletecollection":
        return _collection_item(_event_with(store, row, spec.name), spec.name) is not None
    return _name_of_create(store, row, spec.name) == spec.name


def _event_with(store: EventStore, row: int, wanted: str) -> dict:
    """The event of ``row`` as a dict, or ``{}`` when its text cannot hold ``wanted``."""
    try:
        raw = store.event_json(row)
        if _PLAIN_NAME.fullmatch(wanted) and wanted.encode() not in raw:
            return {}
        event = orjson.loads(raw)
    except (orjson.JSONDecodeError, LookupError, OSError):
        return {}
    return event if isinstance(event, dict) else {}


def _collection_item(event: dict, name: str) -> dict | None:
    """The object named ``name`` in a deletecollection's response (a list), or None."""
    response = event.get("responseObject")
    items = response.get("items") if isinstance(response, dict) else None
    for item in items if isinstance(items, list) else ():
        if _metadata(item).get("name") == name:
            return item
    return None


def _name_of_create(store: EventStore, row: int, wanted: str | None = None) -> str:
    """The name of a create whose objectRef has none: from the URL (a subresource create such
    as ``pods/NAME/binding``), else the response's, else the request body's.

    ``wanted``: the name looked for; an event whose text does not hold it is not parsed (a
    namespace may hold thousands of creates by ``generateName``).
    """
    values = store.row(row)
    uri = str(values["uri"])
    if uri:
        info = parse_request_uri(uri, "create")
        if info.is_resource and info.name:
            return info.name
    event = _event_with(store, row, wanted or "")
    for key in ("responseObject", "requestObject"):
        name = _metadata(event.get(key)).get("name")
        if isinstance(name, str) and name:
            return name
    return ""


def _metadata(value: object) -> dict:
    if isinstance(value, dict) and isinstance(value.get("metadata"), dict):
        return value["metadata"]
    return {}


def _is_object(value: object, kind: str | None) -> bool:
    """Whether a logged body is the object itself (not a Status, DeleteOptions or Scale)."""
    if not isinstance(value, dict) or not value:
        return False
    found = value.get("kind")
    if found in ("Status", "DeleteOptions", "Scale", "Eviction", "Binding"):
        return False
    return kind is None or found is None or found == kind


def object_history(store: EventStore, spec: ObjectSpec, *, policy: object | None = None) -> History:
    """The history of the object ``spec`` names over every row of ``store``.

    ``policy``: a :class:`~kaudit_tui.core.policy.LoadedPolicy`, to say of requests logged
    without a body which rule would have logged one.
    """
    entries: list[Entry] = []
    current: dict | None = None
    kind: str | None = None
    for row in object_rows(store, spec).tolist():
        try:
            entry, event = _entry(store, row)
        except LookupError:  # dropped to keep within --max-events meanwhile
            continue
        current, kind = _follow(entry, event, current, kind, spec.name)
        if entry.is_write and not entry.body_logged and policy is not None:
            entry.notes.append(_policy_note(store, row, policy))
        entries.append(entry)
    return History(spec, entries)


def _entry(store: EventStore, row: int) -> tuple[Entry, dict]:
    values = store.row(row)
    try:
        event = orjson.loads(store.event_json(row))
    except orjson.JSONDecodeError:
        event = {}
    if not isinstance(event, dict):
        event = {}
    ts, rx = int(values["ts"]), int(values["rx"])
    code = int(values["code"])
    uri = str(values["uri"])
    query = parse_query(split_uri(uri)[1]) if uri else {}
    entry = Entry(
        row=row,
        audit_id=str(values["id"]),
        time=ts,
        verb=str(values["verb"]),
        subresource=str(values["sub"]),
        user=str(values["user"]),
        impersonated=str(values["as"]),
        code=code,
        stage=str(values["stage"]),
        level=str(values["level"]),
        latency=ts - rx if NO_TIME not in (ts, rx) else None,
        uri=uri,
        dry_run="All" in query.get("dryRun", []),
        denied=code == DENIED_CODE or values["decision"] == "forbid",
    )
    entry.failed = code >= 400 and not entry.denied
    if entry.verb == "patch" and event.get("requestObject") is not None:
        entry.patch_kind = patch_kind(event.get("requestObject"), query)
    if entry.verb in DELETES:
        entry.deletion = _deletion(event.get("requestObject"), query)
    return entry, event


def _deletion(body: object, query: dict[str, list[str]]) -> dict[str, Any] | None:
    """What a delete asked for, from its DeleteOptions body, else its URL query."""
    found: dict[str, Any] = {}
    options = body if isinstance(body, dict) else {}
    for key in ("propagationPolicy", "preconditions", "gracePeriodSeconds", "orphanDependents"):
        if options.get(key) is not None:
            found[key] = options[key]
        elif query.get(key):
            found[key] = query[key][0]
    return found or None


def _follow(
    entry: Entry, event: dict, current: dict | None, kind: str | None, name: str
) -> tuple[dict | None, str | None]:
    """Work out what ``entry`` did to the object known as ``current``; the version after it."""
    request, response = event.get("requestObject"), event.get("responseObject")
    logged = entry.body_logged = (
        entry.level in BODY_LEVELS or request is not None or response is not None
    )
    took_effect = entry.took_effect
    if entry.dry_run:
        entry.notes.append("dry run: not applied")
    if not entry.is_write:
        if took_effect and _is_object(response, kind) and not entry.subresource:
            current = response  # a read tells the current version
            kind = kind or response.get("kind")
        return current, kind
    if entry.denied:
        entry.notes.append("denied: nothing changed")
    elif entry.failed:
        entry.notes.append("failed: nothing changed")
    elif not entry.code and not entry.dry_run:
        entry.notes.append(
            f"no response logged (stage {entry.stage or 'unknown'}): outcome unknown"
        )
        return None, kind
    if not took_effect:
        return current, kind
    if not logged:
        unknown = "the delete options unknown" if entry.verb in DELETES else "change unknown"
        entry.notes.append(f"no body logged (level {entry.level or 'unknown'}): {unknown}")
        return None, kind
    if entry.verb in DELETES:
        if entry.verb == "deletecollection":
            response = _collection_item(event, name)
        if _is_object(response, kind) and _metadata(response).get("deletionTimestamp"):
            _record(entry, current, response)  # still there, terminating (finalizers)
            return response, kind
        entry.notes.append("deleted" if entry.verb == "delete" else "deleted with its collection")
        return None, kind
    if entry.verb == "create" and not entry.subresource:
        current = None  # a create makes a new object, whatever came before
    after = _new_version(entry, request, response, current, kind)
    if after is None:
        return None, kind
    kind = kind or after.get("kind")
    _record(entry, current, after)
    return after, kind


def _record(entry: Entry, before: dict | None, after: dict) -> None:
    entry.before, entry.after = before, after
    entry.changed = True
    if before is None and entry.verb != "create":
        entry.notes.append("previous version not in the log: the object as it became")
        entry.patch = None
    else:
        entry.patch = diff_ops(before, after)


def _new_version(
    entry: Entry, request: object, response: object, current: dict | None, kind: str | None
) -> dict | None:
    """The object after a successful write with a logged body, or None (with a note)."""
    if _is_object(response, kind) and entry.subresource != "scale":
        return response  # type: ignore[return-value]
    sub = entry.subresource
    if sub == "scale":
        replicas = _scale_replicas(response) or _scale_replicas(request)
        if replicas is None or current is None:
            entry.notes.append(
                f"scaled to {replicas} replicas (previous version not in the log)"
                if replicas is not None
                else "scale: the new replica count is not logged"
            )
            return None
        after = copy.deepcopy(current)
        after.setdefault("spec", {})["replicas"] = replicas
        return after
    if entry.verb in ("create", "update") and _is_object(request, kind):
        if sub == "status" and current is not None:
            after = copy.deepcopy(current)
            after["status"] = request.get("status")  # type: ignore[union-attr]
            return after
        if not sub:
            return request  # type: ignore[return-value]
    if entry.verb == "patch" and request is not None:
        if current is None:
            entry.notes.append(
                f"{entry.patch_kind} patch on a version not in the log: change unknown"
            )
            return None
        try:
            return apply_patch(current, request, entry.patch_kind)
        except PatchError as error:
            entry.notes.append(str(error))
            return None
    entry.notes.append("the log does not show what this request changed")
    return None


def _scale_replicas(value: object) -> int | None:
    if isinstance(value, dict) and isinstance(value.get("spec"), dict):
        replicas = value["spec"].get("replicas")
        return replicas if isinstance(replicas, int) else None
    return None


def _policy_note(store: EventStore, row: int, policy: Any) -> str:
    """Which rule of ``policy`` decides this request, and whether it would log a body."""
    from kaudit_tui.core.decisions import RowDecisions

    decision = RowDecisions(policy).decision(store, row)
    if decision.rule is None:
        return f"policy {sanitize(policy.path)}: no rule matches: not logged at all"
    rule = policy.rules[decision.rule - 1]
    where = f"rule {decision.rule} (line {rule.line}) of {sanitize(policy.path)}"
    if decision.level in BODY_LEVELS:
        return f"{where} would log its body (level {decision.level})"
    return f"{where} logs it at level {decision.level}: no rule logs its body"
