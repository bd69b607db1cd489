"""The command-line side: --where, --root, --manifest and when discovery runs."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from kaudit_tui.cli import build_parser
from kaudit_tui.discovery import DiscoveryError
from kaudit_tui.discovery.options import discovered_sources, discovery_requested, run_where


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(argv)


@pytest.mark.parametrize(
    ("argv", "has_source", "tty", "expected"),
    [
        ((), False, True, True),  # bare kaudit-tui on a node
        ((), False, False, False),  # events piped in
        (("audit.log",), True, True, False),
        (("--where",), False, False, True),
        (("--root", "/mnt/node"), False, False, True),
        (("--manifest", "/tmp/m.yaml"), False, False, True),
    ],
)
def test_when_discovery_runs(argv, has_source, tty, expected) -> None:
    assert discovery_requested(parse(*argv), has_source, tty) is expected


def test_where_prints_the_report(node) -> None:
    root = node("kubeadm")
    out, err = io.StringIO(), io.StringIO()
    assert run_where(parse("--where", "--root", str(root)), out, err) == 0
    assert out.getvalue().startswith("kube-apiserver audit settings\n")
    assert f"log       {root}/var/log/kubernetes/audit/audit.log" in out.getvalue()
    assert err.getvalue() == ""


def test_where_with_nothing_found_exits_2_with_usage(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_where(parse("--where", "--root", str(tmp_path)), out, err) == 2
    assert out.getvalue() == ""
    assert err.getvalue().startswith("kaudit-tui: no kube-apiserver audit configuration found")


def test_discovered_sources_are_the_readable_rotated_set_and_policy(node) -> None:
    root = node("kops")
    args = parse("--root", str(root))
    assert discovered_sources(args) == [
        f"{root}/var/log/kube-apiserver-audit-2026-11-26T11-00-00.000.log",
        f"{root}/var/log/kube-apiserver-audit.log",
    ]
    assert args.policy == f"{root}/srv/kubernetes/kube-apiserver/audit-policy-config.yaml"
    assert args.discovery.origin.startswith("static pod manifest ")


def test_a_policy_given_on_the_command_line_is_kept(node) -> None:
    args = parse("--root", str(node("kops")), "--policy", "mine.yaml")
    discovered_sources(args)
    assert args.policy == "mine.yaml"


def test_webhook_only_explains_why_nothing_opens(node) -> None:
    root = node("systemd")
    with pytest.raises(DiscoveryError) as err:
        discovered_sources(parse("--root", str(root)))
    lines = str(err.value).splitlines()
    assert lines[0] == "kube-apiserver audit settings"
    assert any(line.startswith("  - Webhook only: events go to https://") for line in lines)
    assert lines[-1] == (
        f"kaudit-tui: no audit log to open from systemd unit "
        f"{root}/etc/systemd/system/kube-apiserver.service"
    )
