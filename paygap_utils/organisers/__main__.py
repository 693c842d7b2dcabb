"""``python -m paygap_utils.organisers``: see :mod:`paygap_utils.organisers.cli`."""

import sys

from .cli import main

sys.exit(main())
