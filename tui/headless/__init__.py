"""Headless modes: ``--print``, ``--stats``, ``--explain``, ``--policy-report``, ``--rbac-for``,
``--history``, ``--alerts``.

They run the UI's ingest pipeline (:mod:`kaudit_tui.pipeline`) without Textual: sources are
read to their end (or followed, with ``--follow``, until Ctrl-C), every burst is indexed, and
the query selects rows. stdout carries only the output, for scripts; skipped lines, source
problems and policy warnings go to stderr.

``run``       the session: query, policy, sources, pipeline, exit code
``printing``  ``--print`` and JSON output made safe for a terminal
``stats``     ``--stats`` (text and ``--json``), counted like the facets panel
``policy``    loading the policy, ``--explain`` and ``--policy-report``
``rbac``      ``--rbac-for``: least-privilege RBAC for one identity's requests, as YAML
``history``   ``--history``: every request on one object, with each change as a diff or patch
``alerts``    loading the ``--rules`` files, ``--alerts`` (Falco's JSON alerts)
``notices``   what goes to stderr: source states, skipped lines, dropped events
"""

from .run import run_headless

__all__ = ["run_headless"]
