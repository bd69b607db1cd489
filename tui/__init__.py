"""kaudit-tui: a terminal UI for reading Kubernetes API server audit logs live."""

__version__ = "0.1.0"


def version_text() -> str:
    """What ``--version`` says: the version and how this copy was built.

    A standalone executable carries a ``_build`` module written when it was built (never
    committed); an installed package has none.
    """
    try:
        from kaudit_tui import _build  # type: ignore[attr-defined]
    except ImportError:
        return f"kaudit-tui {__version__} (installed)"
    return (
        f"kaudit-tui {__version__} ({_build.KIND}, commit {_build.COMMIT}, Python {_build.PYTHON})"
    )
