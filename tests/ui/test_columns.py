"""Column layout and cell text: fits the terminal, cuts long values with an ellipsis."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from kaudit_tui.ui.widgets.columns import (
    fit,
    format_latency,
    layout_columns,
    short_user,
    status_class,
)


@pytest.mark.parametrize("width", [80, 100, 120, 200, 300])
@pytest.mark.parametrize("with_rule", [False, True])
def test_columns_fill_the_width_exactly(width: int, with_rule: bool) -> None:
    columns = layout_columns(width, with_rule=with_rule)
    used = sum(c.width for c in columns) + len(columns) - 1
    assert width - 3 <= used <= width
    keys = [c.key for c in columns]
    assert keys[:3] == ["time", "user", "verb"]
    assert ("rule" in keys) == with_rule


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("pods", 6, "pods  "),
        ("deletecollection", 8, "deletec…"),
        ("名前空間の名前", 7, "名前空…"),
        ("x", 0, ""),
    ],
)
def test_fit_pads_or_cuts_to_the_exact_cell_width(text: str, width: int, expected: str) -> None:
    shown = fit(text, width)
    assert shown.rstrip() == expected.rstrip()
    assert cell_len(shown) == width


def test_fit_right_aligns_numbers() -> None:
    assert fit("403", 4, right=True) == " 403"


@pytest.mark.parametrize(
    ("micros", "text"),
    [(0, ""), (450, "0.45ms"), (27_000, "27ms"), (1_500_000, "1.50s"), (125_000_000, "2m05s")],
)
def test_latency_is_short(micros: int, text: str) -> None:
    assert format_latency(micros) == text


def test_status_classes() -> None:
    assert [status_class(c) for c in (0, 101, 201, 304, 404, 503)] == [
        "", "status-other", "status-ok", "status-other", "status-client-error",
        "status-server-error",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("system:serviceaccount:kube-system:deployment-controller",
         "sa:kube-system/deployment-controller"),
        ("system:node:node-4", "node:node-4"),
        ("system:kube-scheduler", "system:kube-scheduler"),
        ("alice@example.com", "alice@example.com"),
        ("system:serviceaccount:", "system:serviceaccount:"),
    ],
)  # fmt: skip
def test_user_cells_lead_with_what_tells_accounts_apart(name: str, shown: str) -> None:
    assert short_user(name) == shown


@pytest.mark.parametrize("width", [80, 120, 200])
def test_the_cluster_column_follows_time_and_gives_way_before_the_core_columns(
    width: int,
) -> None:
    columns = layout_columns(width, with_cluster=True)
    used = sum(c.width for c in columns) + len(columns) - 1
    assert width - 3 <= used <= width
    keys = [c.key for c in columns]
    assert keys[:2] == ["time", "cluster"] or width < 120
    assert {"time", "user", "verb", "resource", "code"} <= set(keys)


def test_cluster_cells(tmp_path) -> None:  # noqa: ANN001
    from kaudit_tui.ui.widgets.columns import RowCells
    from tests.conftest import index_files
    from tests.events import event_line, gke_line

    path = tmp_path / "mixed.log"
    path.write_bytes(gke_line(cluster="prod-1") + event_line())
    store = index_files(path)
    cells = RowCells(store)
    assert store.has_clusters()
    assert [cells.cells(r)["cluster"][0] for r in range(store.first_id, store.next_id)] == [
        "prod-1",
        "",
    ]
