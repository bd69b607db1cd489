"""Reading audit flags the way kube-apiserver's flag parser does."""

from __future__ import annotations

import pytest

from kaudit_tui.discovery.flags import apiserver_argv, dashed, parse_audit_flags


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--audit-log-path=/a.log"], {"log_path": "/a.log"}),
        (["--audit-log-path", "/a.log"], {"log_path": "/a.log"}),
        (["--audit-log-path=/a.log", "--audit-log-path=/b.log"], {"log_path": "/b.log"}),
        (["--audit-log-path=-"], {"log_path": "-"}),
        (["--audit-log-compress"], {"compress": True}),
        (["--audit-log-compress", "--audit-log-compress=false"], {"compress": False}),
        (["--audit-log-compress=T"], {"compress": True}),
        (["--audit-log-maxsize=0x40", "--audit-log-maxage", "7"], {"max_size": 64, "max_age": 7}),
        (["--audit-log-format=legacy"], {"log_format": "legacy"}),
        (["--audit-webhook-config-file=/w.yaml"], {"webhook_config": "/w.yaml"}),
        (["--", "--audit-log-path=/after-terminator"], {"log_path": None}),
        (["-audit-log-path=/single-dash"], {"log_path": None}),
        (["--audit-log-pathx=/other-flag"], {"log_path": None}),
    ],
)
def test_flag_forms(argv: list[str], expected: dict[str, object]) -> None:
    flags = parse_audit_flags(["kube-apiserver", *argv])
    for name, value in expected.items():
        assert getattr(flags, name) == value
    assert flags.problems == []


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--audit-log-maxsize=big"], "--audit-log-maxsize=big"),
        (["--audit-log-compress=maybe"], "--audit-log-compress=maybe"),
        (["--audit-log-path"], "--audit-log-path (no value)"),
    ],
)
def test_values_the_apiserver_would_reject_are_reported(argv, problem) -> None:
    assert parse_audit_flags(argv).problems == [problem]


def test_k3s_style_arguments_get_their_dashes() -> None:
    assert dashed(["audit-log-path=/x", "--v=2"]) == ["--audit-log-path=/x", "--v=2"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["kube-apiserver", "--v=2"], ["kube-apiserver", "--v=2"]),
        (["/usr/local/bin/kube-apiserver"], ["/usr/local/bin/kube-apiserver"]),
        (
            [
                "/go-runner",
                "--log-file=/var/log/kube-apiserver.log",
                "--also-stdout",
                "/usr/local/bin/kube-apiserver",
                "--audit-log-path=/a",
            ],
            ["/usr/local/bin/kube-apiserver", "--audit-log-path=/a"],
        ),
        (["/hyperkube", "apiserver", "--audit-log-path=/a"], ["apiserver", "--audit-log-path=/a"]),
        (
            [
                "/bin/sh",
                "-c",
                "mkfifo /tmp/pipe; (tee -a /var/log/kube-apiserver.log < /tmp/pipe &"
                " ) ; exec /usr/local/bin/kube-apiserver --audit-log-path=/a.log"
                " > /tmp/pipe 2>&1",
            ],
            [
                "/usr/local/bin/kube-apiserver",
                "--audit-log-path=/a.log",
                ">",
                "/tmp/pipe",
                "2",
                ">&",
                "1",
            ],
        ),
        (["grep", "kube-apiserver"], None),
        (["journalctl", "-u", "kube-apiserver", "-f"], None),
        (["tail", "-f", "/var/log/kube-apiserver.log"], None),
        (["kaudit-tui", "--manifest", "/etc/kubernetes/manifests/kube-apiserver.yaml"], None),
        (["etcd", "--data-dir=/var/lib/etcd"], None),
    ],
)
def test_the_apiserver_program_must_be_in_command_position(argv, expected) -> None:
    assert apiserver_argv(argv) == expected


def test_go_runner_log_file_is_not_read_as_an_audit_flag() -> None:
    argv = apiserver_argv(
        ["/go-runner", "--log-file=/var/log/kube-apiserver.log", "/usr/local/bin/kube-apiserver"]
    )
    assert argv is not None
    assert parse_audit_flags(argv).log_path is None
