"""An Input whose editing keys take effect in the order they were typed.

Textual runs a focused widget's (non-priority) bindings only once the unhandled key has bubbled
up to the App, one message queue per ancestor. Printable keys are inserted by the Input straight
away, so in a burst (a paste, fast typing, tmux send-keys) the characters after ``ctrl+u``,
Backspace, End or Enter were inserted *before* that edit ran: ``ctrl+u code:403 Enter`` left
``3``. Every text field of the app uses this one.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class OrderedInput(Input):
    """An Input that runs its key bindings when the key arrives, in order with typed text.

    The key goes through the same binding lookup as on the App, but in the Input's own queue.
    """

    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable and await self.app._check_bindings(event.key):
            event.stop()  # handled: it must not reach the App and run a second time
            event.prevent_default()  # nor Input's own handler (Textual calls each class's)
