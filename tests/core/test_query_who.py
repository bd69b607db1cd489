"""``who:``, the identity a request acted as: for any value, the rows it matches are the rows
whose impersonated user (or, without one, whose user) ``user:`` would match with that value.

The oracle is a second log with the same events, each sent directly by that identity (no
impersonation): ``user:X`` there must match the same rows as ``who:X`` here.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaudit_tui.core.query import parse_query
from kaudit_tui.core.store import EventStore
from kaudit_tui.ui.widgets.query_text import quote_value
from tests.conftest import LOGS, index_files
from tests.events import audit_event

NAMES = (
    "", "alice", "Alice", "bob", "system:admin", "system:serviceaccount:ns1:sa1", "a*b", "x,y",
    'q"uote', "back\\slash", "evil\x1b[31m", "\u202eright", "with space", "-dash", "ali",
)  # fmt: skip
IMPERSONATED = (None, "", "alice", "bob", "a*b", "x,y", "evil\x1b[31m", "system:admin")
PAIRS = [(user, imp) for user in NAMES for imp in IMPERSONATED]


def _identity(user: str, impersonated: str | None) -> str:
    return impersonated or user


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EventStore, EventStore]]:
    folder = tmp_path_factory.mktemp("who")
    acting, direct = folder / "impersonating.log", folder / "direct.log"
    acting.write_bytes(
        b"".join(
            orjson.dumps(audit_event(user=user or {}, impersonated=imp)) + b"\n"
            for user, imp in PAIRS
        )
    )
    direct.write_bytes(
        b"".join(
            orjson.dumps(audit_event(user=_identity(user, imp) or {})) + b"\n"
            for user, imp in PAIRS
        )
    )
    yield index_files(acting), index_files(direct)


def _relative(store: EventStore, text: str) -> list[int]:
    return (parse_query(text).filter(store) - store.first_id).tolist()


literal = st.sampled_from(NAMES).map(quote_value)
glob = st.tuples(
    st.sampled_from(["", "*"]), st.sampled_from(["a", "b", "ali", "system:", "x", "Q"]),
    st.sampled_from(["", "*"]),
).map("".join)  # fmt: skip
value = literal | glob | st.sampled_from(['""', "*", "\\*", "A*B", "a\\*b", "x\\,y", "\\x1b*"])
values = st.lists(value, min_size=1, max_size=3).map(",".join)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=values, negated=st.booleans())
def test_who_matches_the_acting_identity_as_user_would(
    stores: tuple[EventStore, EventStore], values: str, negated: bool
) -> None:
    acting, direct = stores
    sign = "-" if negated else ""
    assert _relative(acting, f"{sign}who:{values}") == _relative(direct, f"{sign}user:{values}")


def test_who_is_user_without_impersonation_and_as_with_it(
    stores: tuple[EventStore, EventStore],
) -> None:
    acting, _ = stores
    for text in ("alice", "a\\*b", '""', "*b*", "system:*"):
        expected = _relative(acting, f'(as:"" user:{text}) OR (-as:"" as:{text})')
        assert _relative(acting, f"who:{text}") == expected, text


def test_who_over_candidate_rows(stores: tuple[EventStore, EventStore]) -> None:
    acting, _ = stores
    full = parse_query("who:alice,bob").filter(acting).tolist()
    assert full
    rows = np.arange(acting.first_id + 30, acting.first_id + 60, dtype=np.int64)
    found = parse_query("who:alice,bob").filter(acting, rows).tolist()
    assert found == [row for row in full if 30 <= row - acting.first_id < 60]


def test_who_on_the_audit2rbac_demo_finds_the_impersonated_user() -> None:
    log = LOGS / "liggitt-audit2rbac-demo-v1beta1-original.log"
    store = index_files(log)
    events = [orjson.loads(line) for line in log.read_bytes().splitlines() if line.strip()]
    alice = [
        i for i, e in enumerate(events) if e.get("impersonatedUser", {}).get("username") == "alice"
    ]
    assert alice
    assert _relative(store, "user:alice") == []
    assert _relative(store, "who:alice") == alice
