"""The status line says one thing at a time: paused or following, a rate only while reading."""

from __future__ import annotations

import pytest

from kaudit_tui.ui.widgets.status_bar import StatusInfo, status_text


def line(**fields: object) -> str:
    return status_text(StatusInfo(shown=5, total=5, **fields)).plain  # type: ignore[arg-type]


def test_a_paused_view_of_a_followed_file_does_not_also_say_following() -> None:
    text = line(source="following", following=False)
    assert "paused (f follows new events)" in text
    assert "following" not in text


@pytest.mark.parametrize("state", ["ended", "error", "no input"])
def test_no_rate_once_nothing_arrives(state: str) -> None:
    assert "ev/s" not in line(source=state, rate=324.0)


def test_the_rate_while_reading() -> None:
    assert "324 ev/s" in line(source="reading", rate=324.0)


def test_a_waiting_source_says_why() -> None:
    message = "/nope.log: no such file — waiting for it to appear"
    assert f"● {message}" in line(source="waiting", source_message=message)
