"""Read kube-apiserver's audit flags out of a command line, the way the apiserver does.

kube-apiserver parses flags with pflag: ``--name=value`` or ``--name value``, booleans
alone or as ``--name=true|false``, the last occurrence wins, ``--`` ends the flags.
k3s and RKE2 pass the same flags without the leading dashes (``audit-log-path=...``).
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_STRING_FLAGS = {
    "audit-log-path": "log_path",
    "audit-policy-file": "policy_file",
    "audit-log-format": "log_format",
    "audit-webhook-config-file": "webhook_config",
}
_INT_FLAGS = {
    "audit-log-maxsize": "max_size",
    "audit-log-maxbackup": "max_backup",
    "audit-log-maxage": "max_age",
}
_BOOL_FLAGS = {"audit-log-compress": "compress"}
_SHELLS = {"sh", "bash", "ash", "dash", "busybox"}


@dataclass
class AuditFlags:
    """The audit settings of one kube-apiserver command line (``None``: flag not given)."""

    log_path: str | None = None
    policy_file: str | None = None
    log_format: str | None = None
    webhook_config: str | None = None
    max_size: int | None = None
    max_backup: int | None = None
    max_age: int | None = None
    compress: bool = False
    problems: list[str] = field(default_factory=list)
    """Flags whose values kube-apiserver would reject, as ``--flag=value`` text."""

    @property
    def any_set(self) -> bool:
        """True when at least one audit flag was given."""
        return any(
            v is not None
            for v in (self.log_path, self.policy_file, self.webhook_config, self.log_format)
        )


def parse_audit_flags(argv: Iterable[str]) -> AuditFlags:
    """Collect the audit flags of ``argv``; other flags are skipped, unknown values kept."""
    flags = AuditFlags()
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token == "--":
            break
        if not token.startswith("--"):
            continue
        name, has_value, value = token[2:].partition("=")
        if name in _BOOL_FLAGS:
            _set_bool(flags, name, value if has_value else "true")
        elif name in _STRING_FLAGS or name in _INT_FLAGS:
            if not has_value:
                if i >= len(tokens):
                    flags.problems.append(f"--{name} (no value)")
                    break
                value = tokens[i]
                i += 1
            _set_value(flags, name, value)
    return flags


def _set_value(flags: AuditFlags, name: str, value: str) -> None:
    if name in _STRING_FLAGS:
        setattr(flags, _STRING_FLAGS[name], value)
        return
    try:
        setattr(flags, _INT_FLAGS[name], int(value, 0))
    except ValueError:
        flags.problems.append(f"--{name}={value}")


def _set_bool(flags: AuditFlags, name: str, value: str) -> None:
    lowered = value.lower()
    if lowered in {"1", "t", "true"}:
        setattr(flags, _BOOL_FLAGS[name], True)
    elif lowered in {"0", "f", "false"}:
        setattr(flags, _BOOL_FLAGS[name], False)
    else:
        flags.problems.append(f"--{name}={value}")


def dashed(args: Iterable[str]) -> list[str]:
    """Turn k3s/RKE2 ``name=value`` apiserver args into ``--name=value`` flags."""
    return [arg if arg.startswith("-") else f"--{arg}" for arg in args]


def expand_shell(argv: Sequence[str]) -> list[str]:
    """Split ``sh -c 'script'`` commands into words so the flags inside the script count.

    Old kops manifests start the apiserver through a shell that tees its output.
    """
    if not argv or posixpath.basename(argv[0]) not in _SHELLS or "-c" not in argv:
        return list(argv)
    at = list(argv).index("-c")
    if at + 1 >= len(argv):
        return list(argv)
    lexer = shlex.shlex(argv[at + 1], posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:
        words = argv[at + 1].split()
    return [*argv[: at + 1], *words, *argv[at + 2 :]]


def apiserver_argv(argv: Sequence[str]) -> list[str] | None:
    """Return the words from the kube-apiserver program on, or None if it is not run here.

    The program must be in command position: first, after a wrapper and its options
    (go-runner, hyperkube), or after a shell separator or ``exec`` in an ``sh -c``
    script. So ``grep kube-apiserver`` or ``journalctl -u kube-apiserver`` do not count,
    and a wrapper's own flags, such as go-runner's ``--log-file``, are not the apiserver's.
    """
    words = expand_shell(argv)
    for i, word in enumerate(words):
        base = posixpath.basename(word)
        if base == "kube-apiserver" or (base == "apiserver" and _after_hyperkube(words, i)):
            if _command_position(words, i):
                return words[i:]
    return None


def _after_hyperkube(words: Sequence[str], i: int) -> bool:
    return i > 0 and posixpath.basename(words[i - 1]) == "hyperkube"


def _command_position(words: Sequence[str], i: int) -> bool:
    if i == 0:
        return True
    if words[i - 1] in _SEPARATORS:
        return True
    wrapper = posixpath.basename(words[0])
    if wrapper == "hyperkube":
        return i == 1
    return wrapper in _WRAPPERS and all(w.startswith("-") or "=" in w for w in words[1:i])


_SEPARATORS = {";", "&&", "||", "|", "&", "(", "exec", "-c"}
_WRAPPERS = {"go-runner", "tini", "dumb-init", "env", "nice", "ionice", "setpriv"}
