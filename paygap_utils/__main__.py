"""``python -m paygap_utils``: see :mod:`paygap_utils.cli`."""

import sys

from .cli import main

sys.exit(main())
