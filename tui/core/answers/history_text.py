"""The text of an object's history (``--history`` and the UI's history screen): one line per
request, its notes, and the diff of each change; every line passes the one sanitizer."""

from __future__ import annotations

from kaudit_tui.core.answers.history import Entry, History, who_text
from kaudit_tui.core.sanitize import sanitize
from kaudit_tui.core.timestamps import format_time

PATCH_KINDS = {
    "json": "JSON Patch",
    "merge": "merge patch",
    "strategic": "strategic merge patch",
    "apply": "server-side apply",
    "unknown": "patch body of unknown kind",
}


def history_lines(history: History, entries: list[Entry], *, noise: bool = False) -> list[str]:
    """The text timeline: a header, one line per request with its notes and diff, and who
    deleted the object when it ends deleted. Every line is sanitized."""
    lines = [f"# kaudit-tui: {history.header()}"]
    if len(entries) != len(history.entries):
        lines.append(f"# {len(entries):,} of them match the query")
    for entry in entries:
        lines.append(entry_line(entry))
        lines += [f"    {sanitize(note)}" for note in entry.notes]
        touched = entry.sections(noise=noise)
        if touched:
            lines.append(f"    changed: {', '.join(sanitize(s) for s in touched)}")
        lines += [f"    {sanitize(line)}" for line in entry.diff(noise=noise)]
    footer = history.footer()
    if footer:
        lines.append(f"# {footer}")
    return lines


def entry_line(entry: Entry) -> str:
    """``TIME  VERB  WHO  CODE  STAGE  LATENCY  MARKS`` for one request."""
    verb = entry.verb + (f" {entry.subresource}" if entry.subresource else "")
    if entry.patch_kind:
        verb += f" ({PATCH_KINDS.get(entry.patch_kind, entry.patch_kind)})"
    parts = [
        format_time(entry.time) or "(no time)",
        sanitize(verb),
        who_text(entry),
        str(entry.code or "-"),
        sanitize(entry.stage or "-"),
        latency_text(entry.latency),
    ]
    marks = [m for m, on in (("DRY RUN", entry.dry_run), ("DENIED", entry.denied),
                             ("FAILED", entry.failed)) if on]  # fmt: skip
    return "  ".join(parts + marks)


def latency_text(micros: int | None) -> str:
    if micros is None or micros < 0:
        return "-"
    if micros < 1_000_000:
        return f"{micros / 1000:.0f}ms"
    return f"{micros / 1_000_000:.2f}s"
