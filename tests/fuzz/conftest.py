"""Hypothesis settings for the fuzz suite (issue 8, section 2, point 2).

Two profiles: ``ci`` (the default: few, derandomized examples, so the whole of
tests/fuzz stays near two minutes on a 2-core machine) and ``long`` (many random
examples, for a night's run):

    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/fuzz

A test asks for ``examples(n)``: n under ``ci``, ``LONG_FACTOR`` times n under ``long``.
No deadline: the first ``Workspace.index`` of a process warms up for many seconds.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

LONG_FACTOR = 40
_SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
               HealthCheck.function_scoped_fixture, HealthCheck.large_base_example]

settings.register_profile("ci", deadline=None, derandomize=True, database=None, print_blob=True,
                          suppress_health_check=_SUPPRESSED)
settings.register_profile("long", deadline=None, print_blob=True, suppress_health_check=_SUPPRESSED)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)
