"""Command line of chapter 12's memory networks (``make train MODEL=memnet`` and
``make evaluate MODEL=memnet`` call it).

    python -m attnbook.memnet_cli train      # re-train the four task models (seeded)
    python -m attnbook.memnet_cli evaluate   # held-out accuracy and hop-on-support per task

It lives apart from :mod:`attnbook.memnet` so that ``python -m`` never runs a module that
``import attnbook`` has already imported.
"""

import sys

from .memnet import main

if __name__ == "__main__":
    sys.exit(main())
