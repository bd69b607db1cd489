"""kaudit-tui: a terminal UI for reading Kubernetes API server audit logs live."""

__version__ = "0.1.0"
