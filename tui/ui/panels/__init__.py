"""Panels: views of the current view beside or below the event table, one module each.

The protocol
------------
A panel is one module holding one widget class that mixes in :class:`Panel` and is decorated
with :func:`register`. The class declares:

``KEY``
    the key that shows and hides it (the App binds it; the footer, help screen and command
    palette list it from that binding, nothing restates it);
``NAME``, ``TITLE``, ``DESCRIPTION``
    its id (also the name ``KauditApp(panels=...)`` and ``--demo`` use), its title and one
    line for help and the palette;
``PLACE``, ``WIDTH``
    ``"side"`` (the column right of the table, preferred ``WIDTH``, narrowed on small
    terminals so TIME, USER, VERB, RESOURCE and CODE stay readable) or ``"below"`` the table;
``compute(view) -> result``
    called in a worker thread with a :class:`PanelView` (the store, the current view's row
    ids, the highlighted row, the panel's width, the policy, the detection rules) — at most
    twice a second per panel, only while it is shown, only when its inputs changed (the view,
    its width, and the highlighted row if ``FOLLOWS_HIGHLIGHT``), never two at once; it may
    delegate to
    ``kaudit_tui.view`` and must not touch widgets;
``show(result)``
    called on the UI thread with the result: draw it.

Panel-specific styles go in the class's ``DEFAULT_CSS``; the App gives every panel the
classes ``panel`` and ``-side``/``-below`` (border, background, hidden until toggled: in
``app.tcss``). A panel's own keys are its ``BINDINGS`` with descriptions; the help screen
lists them under the panel.

Focus: opening a panel never takes the keyboard. The arrows keep moving the event cursor and a
panel that follows the highlight recomputes; ``Tab`` moves the keyboard into the open panels
(again: the next one, then back to the table) and ``Esc`` gives it back to the table.

Panels report what the user asked for with the messages of ``kaudit_tui.ui.messages``
(``AddQueryTerm``, ``NarrowTime``): the App edits the query text, the single source of truth.

Adding a panel: write ``kaudit_tui/ui/panels/<name>.py`` and import it below. A test can
register a panel of its own the same way (``tests/ui/test_panel_protocol.py`` does).
"""

from kaudit_tui.ui.panels.base import (
    Panel,
    PanelView,
    panel_named,
    register,
    registered,
    unregister,
)
from kaudit_tui.ui.panels.facets import FacetsPanel
from kaudit_tui.ui.panels.findings import FindingsPanel
from kaudit_tui.ui.panels.histogram import TimeHistogram
from kaudit_tui.ui.panels.policy import PolicyPanel

__all__ = [
    "FacetsPanel",
    "FindingsPanel",
    "Panel",
    "PanelView",
    "PolicyPanel",
    "TimeHistogram",
    "panel_named",
    "register",
    "registered",
    "unregister",
]
