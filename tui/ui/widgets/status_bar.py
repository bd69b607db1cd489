"""The status bar: how many events are shown out of how many, and what the sources are doing.

The first item is always ``shown / total events`` (``1,234 / 5,000 events``), the figure an
operator reads first and the one scripts and tests look for.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from kaudit_tui.core.sanitize import sanitize


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """Everything the status bar shows; the App builds a new one at most ~10 times a second."""

    shown: int = 0
    total: int = 0
    requests: int | None = None
    """Requests shown, in the request view."""
    skipped: int = 0
    dropped: int = 0
    """Oldest events dropped to stay within ``--max-events``."""
    rate: float = 0.0
    source: str = "starting"
    """Source state: reading, following, waiting, rotated, truncated, ended, error."""
    source_message: str = ""
    """What a waiting or failing source says (``/x.log: no such file — waiting ...``)."""
    following: bool = True
    query: str = ""
    find: str = ""
    found: int = 0
    match: int = 0
    """1-based place of the highlighted event among the ``found`` matches; 0: not on one."""
    progress: str = ""
    """Indexing progress (events, MB, %) while a large input is read."""
    busy: bool = False
    """A query is being applied."""


def format_rate(rate: float) -> str:
    if rate >= 10_000:
        return f"{rate / 1000:,.0f}k ev/s"
    return f"{rate:,.0f} ev/s"


LIVE_STATES = frozenset({"reading", "following", "rotated", "truncated"})
"""Source states in which events are arriving (a rate means something)."""


def source_state(info: StatusInfo) -> str:
    """The sources' state, and whether the view is paused while new events arrive."""
    if info.following or info.source not in ("following", "reading", "waiting"):
        return info.source
    if info.source == "following":
        return "paused (f follows new events)"
    return f"{info.source}, view paused (f follows)"


def status_text(info: StatusInfo) -> Text:
    """The status line for ``info``."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{info.shown:,} / {info.total:,} events", style="bold")
    if info.requests is not None:
        text.append(f" ({info.requests:,} requests)")
    sep = " │ "
    if info.skipped:
        text.append(sep)
        text.append(f"{info.skipped:,} skipped [!]", style="italic")
    if info.dropped:
        text.append(sep)
        text.append(f"{info.dropped:,} oldest dropped (--max-events)", style="italic")
    if info.progress:
        text.append(sep + info.progress)
    if info.rate >= 0.5 and info.source in LIVE_STATES:
        text.append(sep + format_rate(info.rate))
    text.append(sep)
    if info.source_message:  # what is wrong says more than "waiting" or "error"
        text.append("● " + sanitize(info.source_message), style="bold")
    else:
        text.append("● " + source_state(info), style="bold")
    if info.busy:
        text.append(sep + "filtering…")
    if info.query:
        text.append(sep + "filter: " + sanitize(info.query))
    if info.find:
        text.append(sep + f"find: {sanitize(info.find)} ({find_position(info)})")
    return text


def find_position(info: StatusInfo) -> str:
    """``3 of 40`` on a match, ``40 matches`` elsewhere (before the first ``n``, say)."""
    if info.match and info.found:
        return f"{info.match:,} of {info.found:,}"
    if not info.found:
        return "no matches"
    return f"{info.found:,} match" + ("es" if info.found != 1 else "")


class StatusBar(Widget):
    """One line at the bottom, above the key footer."""

    DEFAULT_CSS = """
    StatusBar { height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.info = StatusInfo()

    def show(self, info: StatusInfo) -> None:
        if info != self.info:
            self.info = info
            self.refresh()
        self.set_class(info.source == "error", "-error")
        self.set_class(not info.following, "-paused")

    def render(self) -> Text:
        return status_text(self.info)
