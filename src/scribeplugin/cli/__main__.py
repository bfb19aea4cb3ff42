"""``python -m scribeplugin.cli``: the same as the ``scribeplugin`` command."""

import sys

from scribeplugin.cli import main

sys.exit(main())
