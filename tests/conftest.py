"""Shared test settings.

Hypothesis's default deadline (200 ms per example) turns a slow, shared machine into failures
of tests that assert nothing about time; the project's tests never assert wall-clock times
(speed is measured by `make bench`), so examples have no deadline.
"""

from hypothesis import settings

settings.register_profile("attnbook", deadline=None)
settings.load_profile("attnbook")
