"""Command line of chapter 8's date model (``make train`` and ``make evaluate`` call it).

    python -m attnbook.datemodel_cli train      # re-train from scratch (seeded), write the weights
    python -m attnbook.datemodel_cli evaluate   # held-out exact-match accuracy per format

It lives apart from :mod:`attnbook.datemodel` because ``import attnbook`` already imports that
module, and ``python -m`` on an imported module runs it twice (Python warns about it).
"""

import sys

from .datemodel import main

if __name__ == "__main__":
    sys.exit(main())
