"""Command line: argument parsing, the headless modes, and starting the terminal UI.

The headless modes (``--print``, ``--stats``, ``--explain``, ``--policy-report``) run the same
core as the UI without importing Textual, so scripts and SSH sessions start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from kaudit_tui import version_text
from kaudit_tui.core.allocator import keep_large_buffers
from kaudit_tui.core.blas import single_blas_thread
from kaudit_tui.core.limits import DEFAULT_MAX_EVENTS
from kaudit_tui.discovery import DiscoveryError
from kaudit_tui.discovery.options import (
    add_discovery_arguments,
    discovered_sources,
    discovery_requested,
    run_where,
    summary,
)
from kaudit_tui.usage import EXIT_OK, EXIT_SOURCE, EXIT_USAGE, UsageError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kaudit-tui",
        description="Read Kubernetes API server audit logs: browse, filter, follow, explain.",
        epilog="SOURCE is a file (plain or .gz) or '-' for standard input; with no SOURCE and "
        "standard input not a terminal, events are read from standard input.",
    )
    parser.add_argument("sources", nargs="*", metavar="SOURCE", help="audit log files, or -")
    parser.add_argument("-q", "--query", default="", metavar="EXPR", help="initial filter")
    parser.add_argument("-p", "--policy", metavar="FILE", help="audit policy (YAML or JSON)")
    parser.add_argument("--since", metavar="T", help="only events at or after T (like since:)")
    parser.add_argument("--until", metavar="T", help="only events before T (like until:)")
    parser.add_argument(
        "--follow",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="keep reading as files grow, across rotation (default: on in the UI for a single "
        "plain file, off in the headless modes)",
    )
    modes = parser.add_argument_group("headless modes")
    modes.add_argument(
        "--print", action="store_true", help="write each matching event as one JSON line"
    )
    modes.add_argument("--stats", action="store_true", help="counts of matching events by field")
    modes.add_argument("--top", type=int, default=10, metavar="N", help="rows per --stats field")
    modes.add_argument(
        "--explain", action="store_true", help="per event: the policy rule it hits (JSON lines)"
    )
    modes.add_argument(
        "--policy-report",
        action="store_true",
        help="per policy rule: events hit, bytes logged and bytes the policy would write",
    )
    modes.add_argument(
        "--json",
        action="store_true",
        help="machine-readable --stats / --policy-report / --history output",
    )
    rbac = parser.add_argument_group("least-privilege RBAC")
    rbac.add_argument(
        "--rbac-for",
        metavar="USER",
        help="print the Roles, ClusterRoles and bindings allowing exactly the requests USER "
        "(or system:serviceaccount:NS:NAME) made among the matching events, as YAML",
    )
    rbac.add_argument(
        "--rbac-name",
        metavar="NAME",
        help="name (and label) of the objects --rbac-for makes (default: kaudit:USER)",
    )
    rbac.add_argument(
        "--rbac-skip-denied",
        action="store_true",
        help="leave requests that were denied (403) out of --rbac-for, and count them",
    )
    parser.add_argument_group("object history").add_argument(
        "--history",
        metavar="RESOURCE[/NAMESPACE]/NAME",
        help="every request on one object in time order, with each change as a diff "
        "(--json: one JSON line per request, the change as a JSON Patch)",
    )
    detections = parser.add_argument_group("detections")
    detections.add_argument(
        "--alerts",
        action="store_true",
        help="evaluate the built-in triage rules and the --rules over every matching event: "
        "one JSON line per alert (Falco's JSON alert format, plus auditID)",
    )
    detections.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="FILE",
        help="Falco rules file (k8s_audit source), loaded after the built-in rules; "
        "repeatable: later files append to or override earlier ones",
    )
    detections.add_argument(
        "--no-default-rules",
        action="store_true",
        help="leave the built-in triage rules out (then --alerts needs --rules)",
    )
    parser.add_argument(
        "--max-events",
        type=_event_count,
        metavar="N",
        help="keep at most N events in memory, dropping the oldest (counted and shown); 0 = no "
        f"limit (default: {DEFAULT_MAX_EVENTS:,} in the UI and with --follow, no limit in "
        "one-shot headless runs)",
    )
    parser.add_argument("--demo", action="store_true", help="the bundled demo log and policy")
    view = parser.add_argument_group("terminal UI")
    view.add_argument(
        "--theme",
        metavar="NAME",
        help="colour theme: kaudit-dark (default), kaudit-light, a built-in Textual theme, or "
        "one from $XDG_CONFIG_HOME/kaudit-tui/themes/*.toml",
    )
    view.add_argument(
        "--show-secrets",
        action="store_true",
        help="show Secret data and tokens unmasked in the detail view (masked by default)",
    )
    add_discovery_arguments(parser)
    add_webhook_arguments(parser)
    parser.add_argument("--version", action="version", version=version_text())
    return parser


# -- the webhook receiver (--listen, --webhook-config) -------------------------------------


def add_webhook_arguments(parser: argparse.ArgumentParser) -> None:
    webhook = parser.add_argument_group("webhook receiver (kube-apiserver --audit-webhook-*)")
    webhook.add_argument(
        "--listen",
        metavar="[HOST:]PORT",
        type=_listen_address,
        help="receive audit events over HTTP(S) POSTs from kube-apiserver's webhook backend "
        "(HOST defaults to 127.0.0.1, PORT 0 picks a free one); combines with files",
    )
    webhook.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate")
    webhook.add_argument("--tls-key", metavar="FILE", help="... and this private key")
    webhook.add_argument(
        "--client-ca", metavar="FILE", help="require client certificates signed by this CA"
    )
    webhook.add_argument(
        "--token-file",
        metavar="FILE",
        help="require 'Authorization: Bearer TOKEN' with one of the tokens in FILE (one a line)",
    )
    webhook.add_argument(
        "--max-body",
        type=_byte_count,
        metavar="BYTES",
        help="refuse larger request bodies with 413 (default 64MiB; K, M, G, KiB... suffixes)",
    )
    webhook.add_argument(
        "--webhook-config",
        metavar="URL",
        help="print a kubeconfig for --audit-webhook-config-file sending to URL (with the CA "
        "from --tls-cert, the first token of --token-file), then exit",
    )


def _listen_address(text: str) -> tuple[str, int]:
    from kaudit_tui.sources.webhook import parse_address

    try:
        return parse_address(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "ki": 1024, "mi": 1024**2, "gi": 1024**3}


def _byte_count(text: str) -> int:
    number = text.rstrip("BbIiKkMmGg")
    unit = text[len(number) :].lower().removesuffix("b")
    if unit not in _UNITS or not number.strip().isdigit() or int(number) <= 0:
        raise argparse.ArgumentTypeError(f"expected a size in bytes such as 64MiB, not {text!r}")
    return int(number) * _UNITS[unit]


def listen_inputs(args: argparse.Namespace) -> list[str] | None:
    """The inputs of a run with ``--listen`` (the files named, then the receiver), or None.

    A receiver makes the run live: files named with it are followed unless ``--no-follow``.
    """
    receiver = ("tls_cert", "tls_key", "client_ca", "token_file", "max_body")
    if args.listen is None:
        given = [name for name in receiver if getattr(args, name) is not None]
        if given:
            raise UsageError(f"--{given[0].replace('_', '-')} needs --listen")
        return None
    if (args.tls_cert is None) != (args.tls_key is None):
        raise UsageError("--tls-cert and --tls-key go together")
    if args.client_ca is not None and args.tls_cert is None:
        raise UsageError("--client-ca needs --tls-cert and --tls-key")
    from kaudit_tui.sources.webhook import DEFAULT_MAX_BODY, ListenConfig

    host, port = args.listen
    config = ListenConfig(
        host=host,
        port=port,
        tls_cert=_absolute(args.tls_cert),
        tls_key=_absolute(args.tls_key),
        client_ca=_absolute(args.client_ca),
        token_file=_absolute(args.token_file),
        max_body=args.max_body or DEFAULT_MAX_BODY,
    )
    if args.follow is None:
        args.follow = True
    return [*args.sources, config.spec()]


def _absolute(path: str | None) -> str | None:
    return None if path is None else os.path.abspath(path)


def print_webhook_config(args: argparse.Namespace) -> int:
    """``--webhook-config URL``: the kubeconfig kube-apiserver needs, on stdout."""
    from kaudit_tui.sources.webhook import kubeconfig

    if not args.webhook_config.startswith(("http://", "https://")):
        raise UsageError(f"--webhook-config: expected an http:// or https:// URL, not "
                         f"{args.webhook_config!r}")  # fmt: skip
    ca = token = None
    try:
        if args.tls_cert:
            with open(args.tls_cert, "rb") as file:
                ca = file.read()
        if args.token_file:
            with open(args.token_file, encoding="utf-8") as file:
                token = next((line.strip() for line in file if line.strip()), None)
    except OSError as error:
        raise UsageError(f"{error.filename}: {error.strerror}") from None
    sys.stdout.write(kubeconfig(args.webhook_config, ca_pem=ca, token=token))
    return EXIT_OK


# -- end of the webhook receiver -------------------------------------------------------------


def _event_count(text: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"expected a number of events (0 = no limit), not {text!r}"
        )
    return value


def resolve_max_events(args: argparse.Namespace, *, headless: bool) -> None:
    """Turn ``--max-events`` into the cap to apply: an int, or None for no limit."""
    value = args.max_events
    if value is None:
        long_lived = not headless or bool(args.follow)
        value = DEFAULT_MAX_EVENTS if long_lived else 0
    args.max_events = value or None


def demo_paths() -> tuple[str, str]:
    """The bundled demo log and policy."""
    from importlib import resources  # here: a tenth of start-up, for --demo only

    base = resources.files("kaudit_tui.demo")
    return str(base / "demo-audit.jsonl"), str(base / "demo-policy.yaml")


def full_query(args: argparse.Namespace) -> str:
    """The query text with ``--since``/``--until`` folded in (one language everywhere)."""
    parts = [args.query] if args.query else []
    for field in ("since", "until"):
        value = getattr(args, field)
        if value:
            parts.append(f'{field}:"{value}"')
    return " ".join(parts)


def resolve_sources(args: argparse.Namespace) -> list[str]:
    if (listening := listen_inputs(args)) is not None:
        return listening
    if args.demo and not args.sources:
        log, policy = demo_paths()
        args.policy = args.policy or policy
        return [log]
    if discovery_requested(args, bool(args.sources), sys.stdin.isatty()):
        return discovered_sources(args)
    if args.sources:
        return list(args.sources)
    if not sys.stdin.isatty():
        return ["-"]
    raise UsageError("no SOURCE given: name an audit log file, pipe events in, or try --demo")


QUERY_OPTIONS = ("-q", "--query")


def query_values_attached(argv: Sequence[str]) -> list[str]:
    """``argv`` with the word after ``-q``/``--query`` joined to it (``--query=WORD``).

    A query may start with ``-`` (``-verb:get``, a negation); argparse would take such a
    word for an option and report that ``-q`` lacks its argument. Joined, it is always the
    value, in every mode. ``-qWORD``, ``--query=WORD`` and a ``-q`` with nothing after it are
    left as they are, and so is everything after ``--``.
    """
    out: list[str] = []
    words = list(argv)
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--":
            out.extend(words[index:])
            break
        if _is_query_option(word) and index + 1 < len(words):
            out.append(f"--query={words[index + 1]}")
            index += 2
            continue
        out.append(word)
        index += 1
    return out


def _is_query_option(word: str) -> bool:
    """``-q``, ``--query`` or an abbreviation argparse accepts for it (``--que``)."""
    return word == "-q" or (len(word) > 2 and "--query".startswith(word))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line parsed as ``main`` parses it (usage errors exit 2)."""
    words = sys.argv[1:] if argv is None else argv
    return build_parser().parse_args(query_values_attached(words))


def main(argv: Sequence[str] | None = None) -> int:
    single_blas_thread()
    keep_large_buffers()
    args = parse_args(argv)
    if args.where:
        return run_where(args)
    try:
        if args.webhook_config:
            return print_webhook_config(args)
        paths = resolve_sources(args)
        if (args.explain or args.policy_report) and not args.policy:
            raise UsageError("--explain and --policy-report need a policy: add --policy FILE")
        if args.alerts and args.no_default_rules and not args.rules:
            raise UsageError("--alerts with --no-default-rules needs rules: pass --rules FILE")
        if args.alerts and (
            args.print or args.explain or args.policy_report or args.rbac_for is not None
        ):
            raise UsageError(
                "--alerts writes JSON lines to standard output: use it without --print, "
                "--explain, --policy-report and --rbac-for"
            )
        headless = bool(
            args.print or args.stats or args.explain or args.policy_report or args.alerts
        )
        if args.rbac_for is not None or args.rbac_name is not None or args.rbac_skip_denied:
            from kaudit_tui.headless.rbac import check_rbac_arguments

            check_rbac_arguments(args)
            headless = True
        if args.history is not None:
            from kaudit_tui.headless.history import check_history_arguments

            check_history_arguments(args)
            headless = True
        resolve_max_events(args, headless=headless)
        from kaudit_tui.core.helperproc import start_early

        start_early(paths)  # the indexing helper starts up beside us (large files only)
        if headless:
            if getattr(args, "discovery", None) is not None:
                print(summary(args.discovery), file=sys.stderr)
            from kaudit_tui.headless import run_headless

            return run_headless(args, paths, full_query(args))
        return _run_ui(args, paths)
    except UsageError as error:
        _error(f"kaudit-tui: {error}")
        return EXIT_USAGE
    except DiscoveryError as error:
        _error(str(error))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK


def _error(message: str) -> None:
    """Print an error, escaping what a terminal could act on (names can come from events)."""
    from kaudit_tui.core.sanitize import sanitize

    print("\n".join(sanitize(line) for line in message.split("\n")), file=sys.stderr)


def _run_ui(args: argparse.Namespace, paths: list[str]) -> int:
    if not sys.stdout.isatty():
        raise UsageError("standard output is not a terminal: use --print or --stats")
    stdin_fd = None
    if "-" in paths:
        from kaudit_tui.sources import SourceError, detach_stdin

        try:
            stdin_fd = detach_stdin()
        except SourceError as error:  # piped events but no terminal for the keyboard
            print(f"kaudit-tui: {error}", file=sys.stderr)
            return EXIT_SOURCE
    os.environ.setdefault("TEXTUAL_FPS", "30")
    try:
        from kaudit_tui.ui.launch import launch
    except ImportError:  # the UI package is optional for the headless modes
        raise UsageError("the terminal UI is not available in this build") from None
    return launch(args, paths, full_query(args), stdin_fd=stdin_fd)
