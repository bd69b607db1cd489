"""Settings for the hostile-input suite: modest example counts, no per-example deadline.

The machine running the whole suite is small and shared, so a deadline would only make slow
examples flaky. ``HYPOTHESIS_PROFILE=hostile-deep`` runs many more examples when hunting bugs.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("hostile", max_examples=60, deadline=None, suppress_health_check=_QUIET)
settings.register_profile(
    "hostile-deep", max_examples=3000, deadline=None, suppress_health_check=_QUIET
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "hostile"))
