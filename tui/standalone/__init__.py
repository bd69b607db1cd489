"""Building kaudit-tui as one self-contained executable (``python -m kaudit_tui.standalone``).

Build-time only: nothing the program runs imports this package, it is not part of the wheel,
and the build leaves it out of the executable.
"""
