"""kube-apiserver's request URL parse: resource, namespace, name, verb from URI and method."""

from __future__ import annotations

import pytest

from kaudit_tui.core.requestinfo import RequestInfo, parse_query, parse_request_uri

# (uri, method) -> is_resource, verb, group, version, namespace, resource, subresource, name
RESOURCE_CASES = [
    # core group, list and get
    ("/api/v1/pods", "GET", ("list", "", "v1", "", "pods", "", "")),
    ("/api/v1/namespaces/default/pods", "GET", ("list", "", "v1", "default", "pods", "", "")),
    (
        "/api/v1/namespaces/default/pods/web-0",
        "GET",
        ("get", "", "v1", "default", "pods", "", "web-0"),
    ),
    ("/api/v1/nodes/n1", "HEAD", ("get", "", "v1", "", "nodes", "", "n1")),
    # named groups
    (
        "/apis/apps/v1/namespaces/prod/deployments/web/scale",
        "PUT",
        ("update", "apps", "v1", "prod", "deployments", "scale", "web"),
    ),
    (
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        "POST",
        ("create", "rbac.authorization.k8s.io", "v1", "", "clusterroles", "", ""),
    ),
    # subresources and creates on a subresource carry a name from the URL
    (
        "/api/v1/namespaces/ns/pods/web-0/log",
        "GET",
        ("get", "", "v1", "ns", "pods", "log", "web-0"),
    ),
    (
        "/api/v1/namespaces/ns/pods/web-0/eviction",
        "POST",
        ("create", "", "v1", "ns", "pods", "eviction", "web-0"),
    ),
    (
        "/api/v1/namespaces/kube-system/serviceaccounts/default/token",
        "POST",
        ("create", "", "v1", "kube-system", "serviceaccounts", "token", "default"),
    ),
    # a fourth segment after the subresource is ignored
    (
        "/api/v1/namespaces/ns/pods/p/proxy/some/path",
        "GET",
        ("get", "", "v1", "ns", "pods", "proxy", "p"),
    ),
    # the Namespace object itself: its name is also its namespace
    ("/api/v1/namespaces/foo", "GET", ("get", "", "v1", "foo", "namespaces", "", "foo")),
    ("/api/v1/namespaces", "GET", ("list", "", "v1", "", "namespaces", "", "")),
    ("/api/v1/namespaces", "POST", ("create", "", "v1", "", "namespaces", "", "")),
    (
        "/api/v1/namespaces/foo/status",
        "PUT",
        ("update", "", "v1", "foo", "namespaces", "status", "foo"),
    ),
    (
        "/api/v1/namespaces/foo/finalize",
        "PUT",
        ("update", "", "v1", "foo", "namespaces", "finalize", "foo"),
    ),
    # verbs from the method
    ("/api/v1/namespaces/ns/pods/p", "PATCH", ("patch", "", "v1", "ns", "pods", "", "p")),
    ("/api/v1/namespaces/ns/pods/p", "DELETE", ("delete", "", "v1", "ns", "pods", "", "p")),
    ("/api/v1/namespaces/ns/pods", "DELETE", ("deletecollection", "", "v1", "ns", "pods", "", "")),
    ("/api/v1/namespaces/ns/pods/p", "OPTIONS", ("", "", "v1", "ns", "pods", "", "p")),
    # deprecated verb-in-path forms
    ("/api/v1/watch/pods", "GET", ("watch", "", "v1", "", "pods", "", "")),
    (
        "/api/v1/watch/namespaces/ns/pods/p",
        "GET",
        ("watch", "", "v1", "ns", "pods", "", "p"),
    ),
    # proxy never takes a subresource
    (
        "/api/v1/proxy/namespaces/ns/pods/p/extra",
        "GET",
        ("proxy", "", "v1", "ns", "pods", "", "p"),
    ),
    # watch=true turns a nameless get into watch; 0/false do not
    ("/api/v1/pods?watch=true", "GET", ("watch", "", "v1", "", "pods", "", "")),
    ("/api/v1/pods?watch=1", "GET", ("watch", "", "v1", "", "pods", "", "")),
    ("/api/v1/pods?watch", "GET", ("watch", "", "v1", "", "pods", "", "")),
    ("/api/v1/pods?watch=False", "GET", ("list", "", "v1", "", "pods", "", "")),
    ("/api/v1/pods?watch=0", "GET", ("list", "", "v1", "", "pods", "", "")),
    # an exact metadata.name field selector names the object for list and watch
    (
        "/api/v1/namespaces/ns/configmaps?fieldSelector=metadata.name%3Dleader",
        "GET",
        ("list", "", "v1", "ns", "configmaps", "", "leader"),
    ),
    (
        "/api/v1/namespaces/ns/configmaps?fieldSelector=metadata.name%3D%3Dleader&watch=1",
        "GET",
        ("watch", "", "v1", "ns", "configmaps", "", "leader"),
    ),
    (
        "/api/v1/namespaces/ns/configmaps?fieldSelector=metadata.name!%3Dleader",
        "GET",
        ("list", "", "v1", "ns", "configmaps", "", ""),
    ),
    (
        "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1,metadata.name%3Dp",
        "GET",
        ("list", "", "v1", "", "pods", "", "p"),
    ),
    # a name that is not a valid path segment is not taken
    (
        "/api/v1/pods?fieldSelector=metadata.name%3D..",
        "GET",
        ("list", "", "v1", "", "pods", "", ""),
    ),
    # a malformed selector or a bad integer option: the options are dropped, watch kept
    ("/api/v1/pods?fieldSelector=metadata.name", "GET", ("list", "", "v1", "", "pods", "", "")),
    (
        "/api/v1/pods?fieldSelector=metadata.name%3Dp&limit=ten",
        "GET",
        ("list", "", "v1", "", "pods", "", ""),
    ),
    (
        "/api/v1/pods?fieldSelector=metadata.name%3Dp&limit=ten&watch=true",
        "GET",
        ("watch", "", "v1", "", "pods", "", ""),
    ),
    # a delete never takes its name from a selector
    (
        "/api/v1/namespaces/ns/pods?fieldSelector=metadata.name%3Dp",
        "DELETE",
        ("deletecollection", "", "v1", "ns", "pods", "", ""),
    ),
    # the verb-in-path watch does not read list options
    (
        "/api/v1/watch/pods?fieldSelector=metadata.name%3Dp",
        "GET",
        ("watch", "", "v1", "", "pods", "", ""),
    ),
    # the parse runs on the decoded path: an encoded slash splits segments
    (
        "/api/v1/namespaces/a%2Fb/pods",
        "GET",
        ("get", "", "v1", "a", "b", "", "pods"),
    ),
    # an absolute URI is reduced to its path
    (
        "https://10.0.0.1:6443/api/v1/namespaces/ns/pods/p",
        "GET",
        ("get", "", "v1", "ns", "pods", "", "p"),
    ),
]


@pytest.mark.parametrize(("uri", "method", "expected"), RESOURCE_CASES)
def test_resource_requests(uri: str, method: str, expected: tuple[str, ...]) -> None:
    info = parse_request_uri(uri, method)
    assert info.is_resource
    got = (
        info.verb,
        info.api_group,
        info.api_version,
        info.namespace,
        info.resource,
        info.subresource,
        info.name,
    )
    assert got == expected


NON_RESOURCE_CASES = [
    ("/", "GET", "get", "/"),
    ("/healthz", "GET", "get", "/healthz"),
    ("/healthz/etcd?verbose", "GET", "get", "/healthz/etcd"),
    ("/api", "GET", "get", "/api"),
    ("/api/v1", "GET", "get", "/api/v1"),
    ("/apis", "GET", "get", "/apis"),
    ("/apis/apps", "GET", "get", "/apis/apps"),
    ("/apis/apps/v1", "GET", "get", "/apis/apps/v1"),
    ("/version", "POST", "post", "/version"),
    ("/openapi/v2", "HEAD", "head", "/openapi/v2"),
    ("/metrics", "OPTIONS", "options", "/metrics"),
    ("/logs/kube%2Dapiserver.log", "GET", "get", "/logs/kube-apiserver.log"),
    ("/logs/a+b%20c", "GET", "get", "/logs/a+b c"),
    ("/foo/bar/baz/qux", "PUT", "put", "/foo/bar/baz/qux"),
]


@pytest.mark.parametrize(("uri", "method", "verb", "path"), NON_RESOURCE_CASES)
def test_non_resource_requests(uri: str, method: str, verb: str, path: str) -> None:
    info = parse_request_uri(uri, method)
    assert info == RequestInfo(False, verb, path, "", "", "", "", "", "")


# A verb already decided by the apiserver (a legacy line's method=, an event's verb) is kept.
KNOWN_VERB_CASES = [
    ("/api/v1/namespaces/ns/pods", "list", ("list", "ns", "pods", "", "")),
    ("/api/v1/namespaces/ns/pods/p", "update", ("update", "ns", "pods", "", "p")),
    ("/api/v1/namespaces/ns/pods", "create", ("create", "ns", "pods", "", "")),
    ("/api/v1/namespaces/ns/pods/p/binding", "create", ("create", "ns", "pods", "binding", "p")),
    (
        "/api/v1/namespaces/ns/configmaps?fieldSelector=metadata.name%3Dx&watch=1",
        "watch",
        ("watch", "ns", "configmaps", "", "x"),
    ),
    ("/api/v1/namespaces/ns/pods", "deletecollection", ("deletecollection", "ns", "pods", "", "")),
]


@pytest.mark.parametrize(("uri", "verb", "expected"), KNOWN_VERB_CASES)
def test_known_verb_is_kept(uri: str, verb: str, expected: tuple[str, ...]) -> None:
    info = parse_request_uri(uri, verb)
    assert (info.verb, info.namespace, info.resource, info.subresource, info.name) == expected


def test_known_verb_for_non_resource_request_is_kept() -> None:
    assert parse_request_uri("/healthz?verbose=1", "get") == RequestInfo(
        False, "get", "/healthz", "", "", "", "", "", ""
    )


def test_query_parsing_follows_go() -> None:
    assert parse_query("a=1&b=x+y&a=2&c") == {"a": ["1", "2"], "b": ["x y"], "c": [""]}
    # a pair with a semicolon or a broken escape is dropped, the rest survives
    assert parse_query("a=1;b=2&c=%zz&d=%41") == {"d": ["A"]}
