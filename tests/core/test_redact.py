"""Secret payloads, tokens in annotations and URIs are masked before display."""

from __future__ import annotations

import orjson

from kaudit_tui.core.redact import MASK, mask_text, redact_event
from tests.events import audit_event


def secret_event() -> dict:
    return audit_event(
        verb="create",
        uri="/api/v1/namespaces/prod/secrets?access_token=abc123&dryRun=All",
        resource="secrets",
        namespace="prod",
        name="db",
        annotations={"example.com/auth": "Bearer s3cr3t.t0ken"},
        request_object={
            "kind": "Secret",
            "metadata": {
                "name": "db",
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": '{"data":{"p":"x"}}'
                },
            },
            "data": {"password": "aHVudGVyMg=="},
            "stringData": {"user": "root"},
        },
        response_object={"kind": "Secret", "data": {"password": "aHVudGVyMg=="}},
    )


def test_secret_data_is_masked_and_keys_kept() -> None:
    event = secret_event()
    shown = redact_event(event)
    assert shown["requestObject"]["data"] == {"password": MASK}
    assert shown["requestObject"]["stringData"] == {"user": MASK}
    assert shown["responseObject"]["data"] == {"password": MASK}
    last = shown["requestObject"]["metadata"]["annotations"]
    assert last["kubectl.kubernetes.io/last-applied-configuration"] == MASK
    text = orjson.dumps(shown)
    assert b"aHVudGVyMg" not in text and b"root" not in text and b"s3cr3t" not in text
    assert b"abc123" not in text
    assert shown["requestURI"].endswith(f"access_token={MASK}&dryRun=All")
    # the original is untouched: the detail view can still reveal it with --show-secrets
    assert event["requestObject"]["data"] == {"password": "aHVudGVyMg=="}


def test_secret_list_and_json_patch_are_masked() -> None:
    listed = {
        "objectRef": {"resource": "secrets"},
        "responseObject": {"kind": "SecretList", "items": [{"data": {"a": "b"}}]},
        "requestObject": None,
    }
    assert redact_event(listed)["responseObject"]["items"][0]["data"] == {"a": MASK}
    patched = {
        "objectRef": {"resource": "secrets", "name": "x"},
        "requestObject": [{"op": "replace", "path": "/data/k", "value": "c2VjcmV0"}],
    }
    assert redact_event(patched)["requestObject"][0]["value"] == MASK


def test_service_account_token_is_masked() -> None:
    event = {
        "objectRef": {"resource": "serviceaccounts", "subresource": "token", "name": "sa"},
        "responseObject": {"kind": "TokenRequest", "status": {"token": "eyJhbGciOi.abc.def"}},
    }
    assert redact_event(event)["responseObject"]["status"]["token"] == MASK


def test_configmaps_are_not_masked() -> None:
    event = {
        "objectRef": {"resource": "configmaps"},
        "requestObject": {"kind": "ConfigMap", "data": {"k": "v"}},
    }
    assert redact_event(event)["requestObject"]["data"] == {"k": "v"}


def test_mask_text_finds_jwts_and_bearer_tokens() -> None:
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    assert jwt not in mask_text(f"token {jwt} used")
    assert mask_text("authorization: bearer abc.def") == f"authorization: bearer {MASK}"
    assert mask_text("nothing secret here") == "nothing secret here"
