"""The panel protocol and its registry (see the package docstring for the whole contract)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

if TYPE_CHECKING:
    from kaudit_tui.core.store import EventStore
    from kaudit_tui.view.alerts import AlertState
    from kaudit_tui.view.policy import PolicyState


@dataclass(frozen=True, slots=True)
class PanelView:
    """What a panel computes from: a snapshot of the current view, taken on the UI thread."""

    store: EventStore
    rows: np.ndarray
    """Store row ids of the current view (one per stage, whatever the request mode)."""
    highlighted: int | None
    """The store row id under the event table's cursor (None when the view is empty)."""
    width: int
    """The panel's content width in cells when the snapshot was taken."""
    policy: PolicyState | None = None
    """The loaded audit policy, if any."""
    alerts: AlertState | None = None
    """The loaded detection rules and the alerts of every row, if any (``--rules``)."""


class Panel:
    """Mixin for the widget class of a panel: ``class MyPanel(Panel, Widget)``.

    The App builds one instance per registered class with ``cls(id=cls.NAME,
    classes="panel -side")`` (or ``-below``), so the constructor takes ``id`` and ``classes``.
    """

    KEY: ClassVar[str]
    """The key that shows and hides the panel (one key, as in ``BINDINGS``)."""
    NAME: ClassVar[str]
    """Identifier: the widget id, the name ``panels=`` and ``--demo`` use."""
    TITLE: ClassVar[str]
    """Short title: the footer, the palette and the border."""
    DESCRIPTION: ClassVar[str]
    """One line for the help screen and the palette."""
    PLACE: ClassVar[Literal["side", "below"]] = "side"
    """``side``: in the column right of the table; ``below``: under the table."""
    WIDTH: ClassVar[int] = 34
    """Preferred width of a side panel; it narrows so the table stays readable."""
    FOLLOWS_HIGHLIGHT: ClassVar[bool] = False
    """Recompute when the highlighted event changes, not only when the view does."""

    def compute(self, view: PanelView) -> object:
        """Runs in a worker thread: derive what to draw from ``view``. Touch no widget here."""
        raise NotImplementedError

    def show(self, result: object) -> None:
        """Runs on the UI thread with what :meth:`compute` returned: draw it."""
        raise NotImplementedError

    def inputs(self, view: PanelView) -> Hashable:
        """What, beyond the view's rows, the result depends on (compared between runs)."""
        return (view.width, view.highlighted if self.FOLLOWS_HIGHLIGHT else None)


_REGISTRY: dict[str, type[Panel]] = {}


def register(cls: type[Panel]) -> type[Panel]:
    """Class decorator: make ``cls`` a panel of every App created from now on."""
    for attribute in ("KEY", "NAME", "TITLE", "DESCRIPTION"):
        if not getattr(cls, attribute, ""):
            raise TypeError(f"panel {cls.__name__} has no {attribute}")
    for other in _REGISTRY.values():
        if other is not cls and cls.NAME != other.NAME and cls.KEY == other.KEY:
            raise ValueError(f"panel {cls.NAME!r}: key {cls.KEY!r} is taken by {other.NAME!r}")
    _REGISTRY[cls.NAME] = cls
    return cls


def unregister(name: str) -> None:
    """Forget the panel called ``name`` (Apps created from now on do not have it)."""
    _REGISTRY.pop(name, None)


def registered() -> list[type[Panel]]:
    """The registered panel classes, in the order they were registered."""
    return list(_REGISTRY.values())


def panel_named(name: str) -> type[Panel]:
    """The registered panel called ``name`` (KeyError naming the known ones if none)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(_REGISTRY)
        raise KeyError(f"no panel {name!r} (known: {known})") from None
