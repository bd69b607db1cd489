"""Memory limits, with the measurements they were chosen from (no imports: the CLI reads them
before anything heavy is loaded)."""

DEFAULT_MAX_EVENTS = 1_000_000
"""The UI's and ``--follow``'s cap on events kept in memory (``--max-events``).

Measured (``tests/bench/bench_ingest.py``, ``bench_max_events.py``): ~170 B of resident memory
per event while below the cap; at the cap, in a long follow, a flat ~330 B per kept event
(interned values of dropped events are released in sweeps, so up to twice the cap's worth are
held between two, and the arrays have room for half as many again) and ~690 B when every URI
and object name is new. A million events is then about 330 MB, under 700 MB in that worst case:
room for a day of a busy cluster on a node that also runs the API server.
"""
