"""Command line of chapter 8's date model (``make train`` and ``make evaluate`` call it).

    python -m attnbook.datemodel_cli train      # re-train from scratch (seeded), write the weights
    python -m attnbook.datemodel_cli evaluate   # held-out exact-match accuracy per format
    python -m attnbook.datemodel_cli predict "23 November 2026" "12/25/1999"
    printf '23 November 2026\n' | python -m attnbook.datemodel_cli predict --confidence

``predict`` prints one ISO date per input (arguments, or lines of standard input); on an input
it cannot read as a date it stops with a one-line ``error: ...`` on stderr and exit status 1.

It lives apart from :mod:`attnbook.datemodel` because ``import attnbook`` already imports that
module, and ``python -m`` on an imported module runs it twice (Python warns about it).
"""

import sys

from .datemodel import main

if __name__ == "__main__":
    sys.exit(main())
