"""Bundled Textual themes (TOML files), packaged as ``kaudit_tui.themes``."""
