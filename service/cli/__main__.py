"""``python -m service.cli``: the same as the ``loftesplan`` command."""

from service.cli import main

main()
