"""The Textual UI: the app shell, its panels, screens and widgets, theming and styles.

Everything here may import Textual; nothing outside this package imports it (the headless
modes, the core and the sources start without a terminal library).
"""
