"""``python -m sknn_basic``: the same command line as the ``sknn-basic`` script."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
