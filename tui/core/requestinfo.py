"""kube-apiserver's parse of a request URL into resource, namespace, name and verb.

Audit events carry the request URI but, in the legacy text format, no objectRef; and even in
JSON events the name a policy saw for a create is the one in the URL, not the one the body
filled in later. This module reproduces the apiserver's own URL parse so both can be rebuilt.

The parse works on the percent-decoded path, as the apiserver does: an encoded slash in a
namespace or name therefore splits the path, exactly as it did on the server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

__all__ = ["RequestInfo", "decode_path", "parse_query", "parse_request_uri", "split_uri"]

_HTTP_METHOD = re.compile(r"[A-Z]+")
_METHOD_VERBS = {
    "POST": "create",
    "GET": "get",
    "HEAD": "get",
    "PUT": "update",
    "PATCH": "patch",
    "DELETE": "delete",
}
_PATH_VERBS = frozenset({"watch", "proxy"})
_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})
_SCHEME_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?]*")
_FIELD_OPERATORS = ("!=", "==", "=")


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What kube-apiserver's request-info filter derives from a URL and a method.

    ``path`` is the decoded path with the query removed. For non-resource requests only
    ``verb`` and ``path`` are meaningful; every other string is empty.
    """

    is_resource: bool
    verb: str
    path: str
    api_group: str
    api_version: str
    namespace: str
    resource: str
    subresource: str
    name: str


def split_uri(request_uri: str) -> tuple[str, str]:
    """Split a request URI into its raw (still escaped) path and raw query.

    An absolute URI (``https://host/path``), which a client may legally send, is reduced to
    its path, as Go's request parsing does.
    """
    if request_uri[:1] != "/" and "://" in request_uri:
        match = _SCHEME_AUTHORITY.match(request_uri)
        if match:
            request_uri = request_uri[match.end() :] or "/"
    raw_path, _, raw_query = request_uri.partition("?")
    return raw_path, raw_query


def decode_path(raw_path: str) -> str:
    """Percent-decode a URL path the way Go's ``url.URL.Path`` is filled.

    ``+`` stays a plus sign (it is only a space in queries). Bytes that do not form valid
    UTF-8 are kept as surrogate escapes so comparisons stay byte-exact.
    """
    if "%" not in raw_path:
        return raw_path
    return unquote_to_bytes(raw_path).decode("utf-8", "surrogateescape")


def _unescape_query(text: str) -> str | None:
    """Go's ``url.QueryUnescape``: ``+`` is a space; a malformed escape is an error (None)."""
    if "%" in text:
        pos = text.find("%")
        while pos >= 0:
            if not re.fullmatch(r"[0-9A-Fa-f]{2}", text[pos + 1 : pos + 3]):
                return None
            pos = text.find("%", pos + 3)
    return unquote_to_bytes(text.replace("+", " ")).decode("utf-8", "surrogateescape")


def parse_query(raw_query: str) -> dict[str, list[str]]:
    """Parse a query string as Go's ``url.Values`` does (what ``URL.Query()`` returns).

    Pairs are separated by ``&``; a pair containing ``;`` or a malformed escape is dropped
    (Go reports an error for it, which ``Query()`` ignores).
    """
    values: dict[str, list[str]] = {}
    for pair in raw_query.split("&"):
        if not pair or ";" in pair:
            continue
        raw_key, _, raw_value = pair.partition("=")
        key = _unescape_query(raw_key)
        value = _unescape_query(raw_value)
        if key is None or value is None:
            continue
        values.setdefault(key, []).append(value)
    return values


def _truthy(value: str) -> bool:
    """apimachinery's string-to-bool conversion: only ``0`` and ``false`` are false."""
    return value != "0" and value.lower() != "false"


def _unescape_selector_value(value: str) -> str | None:
    """Field-selector value unescaping; None where apimachinery reports an error."""
    if not any(c in value for c in "\\,="):
        return value
    out: list[str] = []
    in_slash = False
    for char in value:
        if in_slash:
            if char not in "\\,=":
                return None
            out.append(char)
            in_slash = False
        elif char == "\\":
            in_slash = True
        elif char in ",=":
            return None
        else:
            out.append(char)
    return None if in_slash else "".join(out)


def _split_selector_terms(selector: str) -> list[str]:
    terms: list[str] = []
    start = 0
    in_slash = False
    for index, char in enumerate(selector):
        if in_slash:
            in_slash = False
        elif char == "\\":
            in_slash = True
        elif char == ",":
            terms.append(selector[start:index])
            start = index + 1
    terms.append(selector[start:])
    return terms


def _selector_exact_name(selector: str) -> tuple[bool, str | None]:
    """Parse a field selector; return (parsed ok, exact ``metadata.name`` value or None).

    Terms are sorted before they are read, as apimachinery does, so with two
    ``metadata.name`` terms the alphabetically first one wins.
    """
    if not selector:
        return True, None
    found: str | None = None
    for term in sorted(_split_selector_terms(selector)):
        if not term:
            continue
        for index in range(len(term)):
            op = next((o for o in _FIELD_OPERATORS if term.startswith(o, index)), None)
            if op is not None:
                break
        else:
            return False, None
        field, raw_value = term[:index], term[index + len(op) :]
        value = _unescape_selector_value(raw_value)
        if value is None:
            return False, None
        if found is None and op != "!=" and field == "metadata.name":
            found = value
    return True, found


def _is_path_segment_name(name: str) -> bool:
    return name not in (".", "..") and "/" not in name and "%" not in name


def _list_options(query: dict[str, list[str]]) -> tuple[bool, str]:
    """(watch, exact metadata.name) from list options, as the apiserver decodes them.

    When the options fail to decode (a malformed field selector, or a non-integer
    ``limit`` or ``timeoutSeconds``), only ``watch`` survives and no name is taken.
    """
    watch_values = query.get("watch")
    watch = bool(watch_values) and _truthy(watch_values[0])
    for int_param in ("limit", "timeoutSeconds"):
        values = query.get(int_param)
        if values and not re.fullmatch(r"[+-]?[0-9]+", values[0]):
            return watch, ""
    selector_values = query.get("fieldSelector")
    if not selector_values:
        return watch, ""
    ok, name = _selector_exact_name(selector_values[0])
    if not ok or name is None or not _is_path_segment_name(name):
        return watch, ""
    return watch, name


def parse_request_uri(request_uri: str, method_or_verb: str) -> RequestInfo:
    """Parse a request URI the way kube-apiserver does before it evaluates the audit policy.

    Args:
        request_uri: the URI as logged (``requestURI`` or the legacy ``uri=`` field): an
            escaped path with an optional ``?query``.
        method_or_verb: either an HTTP method or a Kubernetes verb.

            * An all-upper-case string (``GET``, ``POST``, ``OPTIONS`` …) is an HTTP
              method. The verb is derived exactly as the apiserver does: POST → create,
              GET/HEAD → get then list/watch when there is no name, DELETE without a name →
              deletecollection, unknown methods → "" for resource requests; non-resource
              requests get the lower-cased method.
            * Anything else is a verb already decided by the apiserver (the ``verb`` of an
              event, the ``method=`` of a legacy line) and is kept verbatim. The URL still
              provides resource, subresource, namespace and name; ``list`` and ``watch``
              still take their name from an exact ``metadata.name`` field selector.

    Returns:
        The parsed request info. ``name`` is always the one from the URL (or the list
        field selector), never one from a request body: this is the name a policy sees.
    """
    raw_path, raw_query = split_uri(request_uri)
    path = decode_path(raw_path)
    is_method = _HTTP_METHOD.fullmatch(method_or_verb) is not None
    verb = method_or_verb.lower() if is_method else method_or_verb

    def non_resource() -> RequestInfo:
        return RequestInfo(False, verb, path, "", "", "", "", "", "")

    stripped = path.strip("/")
    parts = stripped.split("/") if stripped else []
    if len(parts) < 3 or parts[0] not in ("api", "apis"):
        return non_resource()
    group = ""
    if parts[0] == "apis":
        if len(parts) < 4:
            return non_resource()
        group = parts[1]
        parts = parts[2:]
    else:
        parts = parts[1:]
    version = parts[0]
    parts = parts[1:]

    via_path = parts[0] in _PATH_VERBS
    if via_path:
        if len(parts) < 2:
            # The apiserver rejects this URL before auditing; report what is known.
            return RequestInfo(True, verb, path, group, version, "", "", "", "")
        if is_method:
            verb = parts[0]
        parts = parts[1:]
    elif is_method:
        verb = _METHOD_VERBS.get(method_or_verb, "")

    namespace = ""
    if parts[0] == "namespaces" and len(parts) > 1:
        namespace = parts[1]
        if len(parts) > 2 and parts[2] not in _NAMESPACE_SUBRESOURCES:
            parts = parts[2:]

    resource = parts[0]
    name = parts[1] if len(parts) >= 2 else ""
    subresource = parts[2] if len(parts) >= 3 and verb != "proxy" else ""

    # A verb given in the path (``/watch/...``) never reads list options.
    wants_list_options = verb == "get" if is_method else verb in ("list", "watch")
    if not name and not via_path and wants_list_options:
        watch, name = _list_options(parse_query(raw_query))
        if is_method:
            verb = "watch" if watch else "list"
    if is_method and not name and verb == "delete":
        verb = "deletecollection"
    return RequestInfo(True, verb, path, group, version, namespace, resource, subresource, name)
