"""Command line of chapter 11's classifiers (``make train MODEL=sentiment`` and ``make evaluate
MODEL=sentiment`` call it).

    python -m attnbook.sentiment_cli train      # re-train the five poolings (seeded)
    python -m attnbook.sentiment_cli evaluate   # every number chapter 11 quotes

It lives apart from :mod:`attnbook.sentimentmodel` for the reason given in
:mod:`attnbook.datemodel_cli`.
"""

import sys

from .sentimentmodel import main

if __name__ == "__main__":
    sys.exit(main())
