"""What a write did to an object: patch bodies applied, versions compared, noise set aside.

The audit log keeps no ``Content-Type``, so the kind of a PATCH body is told from its shape
and the URL (:func:`patch_kind`): a JSON array is a JSON Patch (RFC 6902); an object holding
strategic-merge directives (``$patch``, ``$setElementOrder/…``, ``$retainKeys``,
``$deleteFromPrimitiveList/…``) is a strategic merge patch; an object with ``apiVersion`` and
``kind`` sent with a ``fieldManager`` is a server-side apply; any other object is a merge
patch (RFC 7386) — which is also what a strategic merge patch without directives does to
everything but lists.

Applying them (:func:`apply_patch`) is needed only when the log holds the request body but not
the response (level ``Request``); with ``responseObject`` logged the new version is read, not
computed. Two approximations, both documented in the README:

* A strategic merge patch is applied as a merge patch, except that a list holding
  directives (or named by a ``$setElementOrder`` key) is merged item by item on the
  ``name`` key, the merge key of containers, volumes, env and most lists a patch touches;
  other lists are replaced, as a merge patch replaces them.
* A server-side apply is applied like that strategic merge, with every list of objects that
  all have a ``name`` merged on it (containers, env, volumes): fields the same manager owned
  before and no longer sends are not removed (that needs the managed fields of every
  manager), and lists keyed otherwise (ports) are replaced.

Versions are compared as JSON Patch operations (python-json-patch's ``make_patch``) and, for
reading, as unified diffs of YAML per top-level section (``metadata``, ``spec``, ``status``,
then the rest: ``data``, ``rules``…), with the noise fields of :data:`NOISE` left out unless
asked for.
"""

from __future__ import annotations

import copy
import difflib
from typing import Any

import jsonpatch
import yaml

NOISE: tuple[tuple[str, ...], ...] = (
    ("metadata", "managedFields"),
    ("metadata", "resourceVersion"),
    ("metadata", "generation"),
    ("metadata", "creationTimestamp"),
    ("metadata", "selfLink"),
    ("metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"),
)
"""Fields that change with every write (or repeat the rest of the object) and say nothing
about what the writer meant; hidden by default."""
SECTION_ORDER = ("metadata", "spec", "status")
"""How sections are listed; other top-level keys follow, sorted."""
MERGE_KEY = "name"
DIRECTIVE = "$patch"
ORDER_PREFIX = "$setElementOrder/"
DELETE_PRIMITIVES = "$deleteFromPrimitiveList/"
RETAIN_KEYS = "$retainKeys"

JsonPatch = list[dict[str, Any]]


class PatchError(ValueError):
    """A patch body that cannot be applied to the version known before it."""


def patch_kind(body: object, query: dict[str, list[str]]) -> str:
    """``json``, ``strategic``, ``apply`` or ``merge``: what kind of PATCH ``body`` is (see
    the module docstring); ``unknown`` for anything else."""
    if isinstance(body, list):
        return "json"
    if not isinstance(body, dict):
        return "unknown"
    if _has_directives(body):
        return "strategic"
    if "apiVersion" in body and "kind" in body and "fieldManager" in query:
        return "apply"
    return "merge"


def _has_directives(value: object) -> bool:
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith(("$", ORDER_PREFIX)) or _has_directives(item):
                return True
    elif isinstance(value, list):
        return any(_has_directives(item) for item in value)
    return False


def apply_patch(before: dict, body: object, kind: str) -> dict:
    """``before`` with the PATCH ``body`` of ``kind`` applied (a new object).

    Raises:
        PatchError: the body does not apply (a JSON Patch ``test`` that fails, a path that
            does not exist, a body of the wrong shape).
    """
    if kind == "json":
        try:
            return jsonpatch.apply_patch(before, body)  # type: ignore[arg-type]
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as error:
            raise PatchError(f"the JSON Patch does not apply: {error}") from None
        except (TypeError, KeyError, IndexError, ValueError) as error:
            raise PatchError(f"the JSON Patch does not apply: {error}") from None
    if not isinstance(body, dict):
        raise PatchError("the patch body is not an object")
    if kind in ("strategic", "apply"):
        return _strategic(before, body, by_name=kind == "apply")
    return merge_patch(before, body)


def merge_patch(target: object, patch: object) -> Any:
    """RFC 7386 JSON merge patch: objects merge, ``null`` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _strategic(target: object, patch: dict, *, by_name: bool = False) -> Any:
    """The strategic merge approximation of the module docstring; ``by_name`` (apply): every
    list of objects that all have a ``name`` is merged item by item."""
    directive = patch.get(DIRECTIVE)
    if directive == "delete":
        return None
    body = {k: v for k, v in patch.items() if k != DIRECTIVE}
    if directive == "replace":
        return _strip_directives(body)
    result = dict(target) if isinstance(target, dict) else {}
    retain = body.pop(RETAIN_KEYS, None)
    ordered = {k[len(ORDER_PREFIX) :] for k in body if k.startswith(ORDER_PREFIX)}
    for key, value in body.items():
        if key.startswith(ORDER_PREFIX):
            continue
        if key.startswith(DELETE_PRIMITIVES):
            field = key[len(DELETE_PRIMITIVES) :]
            if isinstance(result.get(field), list) and isinstance(value, list):
                result[field] = [item for item in result[field] if item not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = _strategic(result.get(key), value, by_name=by_name)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list) and (
            key in ordered or _has_directives(value) or (by_name and _named_items(value))
        ):
            merged_list = _merge_list(result.get(key), value, by_name=by_name)
            if merged_list:
                result[key] = merged_list
            else:  # the apiserver writes no empty list (Go's omitempty)
                result.pop(key, None)
        else:
            result[key] = _strip_directives(value)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _named_items(value: list) -> bool:
    return bool(value) and all(isinstance(item, dict) and MERGE_KEY in item for item in value)


def _merge_list(target: object, patch: list, *, by_name: bool = False) -> list:
    """Merge a list of objects item by item on their ``name`` (strategic merge)."""
    if any(isinstance(item, dict) and item.get(DIRECTIVE) == "replace" for item in patch):
        return [_strip_directives(i) for i in patch if not _is_directive_item(i)]
    result = list(target) if isinstance(target, list) else []
    for item in patch:
        if not isinstance(item, dict) or MERGE_KEY not in item:
            if item not in result:
                result.append(_strip_directives(item))
            continue
        at = next(
            (i for i, old in enumerate(result)
             if isinstance(old, dict) and old.get(MERGE_KEY) == item[MERGE_KEY]),
            None,
        )  # fmt: skip
        if item.get(DIRECTIVE) == "delete":
            if at is not None:
                del result[at]
        elif at is None:
            result.append(_strip_directives(item))
        else:
            result[at] = _strategic(result[at], item, by_name=by_name)
    return result


def _is_directive_item(item: object) -> bool:
    return isinstance(item, dict) and set(item) == {DIRECTIVE}


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _strip_directives(v)
            for k, v in value.items()
            if not k.startswith("$") and not k.startswith(ORDER_PREFIX)
        }
    if isinstance(value, list):
        return [_strip_directives(v) for v in value]
    return value


def diff_ops(before: dict | None, after: dict) -> JsonPatch:
    """The JSON Patch (RFC 6902) taking ``before`` to ``after``; from nothing, one ``add`` of
    the whole document (path ``""``)."""
    if before is None:
        return [{"op": "add", "path": "", "value": after}]
    return jsonpatch.make_patch(before, after).patch


def without_noise(value: dict | None) -> dict | None:
    """``value`` without the :data:`NOISE` fields (a copy; the original is left alone)."""
    if not isinstance(value, dict):
        return value
    result = copy.deepcopy(value)
    for path in NOISE:
        parent: Any = result
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
    metadata = result.get("metadata")
    if isinstance(metadata, dict) and metadata.get("annotations") == {}:
        del metadata["annotations"]
    return result


def sections(before: dict | None, after: dict | None) -> list[str]:
    """The top-level keys whose values differ, in :data:`SECTION_ORDER`, others sorted."""
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    changed = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    changed -= {"apiVersion", "kind"} & {k for k in changed if k not in old or k not in new}
    first = [k for k in SECTION_ORDER if k in changed]
    return first + sorted(changed - set(SECTION_ORDER))


def unified_diff(before: dict | None, after: dict | None, *, noise: bool = False) -> list[str]:
    """Unified diff lines of the YAML of each changed section (``--- spec`` / ``+++ spec``
    headers, so spec and status changes stand apart); noise fields left out unless ``noise``."""
    if not noise:
        before, after = without_noise(before), without_noise(after)
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    lines: list[str] = []
    for section in sections(old, new):
        lines += difflib.unified_diff(
            _yaml_lines(section, old),
            _yaml_lines(section, new),
            fromfile=section if section in old else "/dev/null",
            tofile=section if section in new else "/dev/null",
            lineterm="",
            n=2,
        )
    return lines


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (config files in a ConfigMap, scripts) as ``|`` blocks, so a diff
    shows their changed lines; the emitter falls back to quoting what a block cannot hold."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _yaml_lines(section: str, value: dict) -> list[str]:
    if section not in value:
        return []
    text = yaml.dump(
        {section: value[section]}, Dumper=_Dumper, sort_keys=True, width=4096, allow_unicode=True
    )
    return text.splitlines()
