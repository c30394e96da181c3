"""``python -m blth.cli``: the ``blth`` command."""

import sys

from blth.cli import main

sys.exit(main())
