"""``python -m benchmarks``: run the suite and write its report."""

import sys

from .main import main

sys.exit(main())
