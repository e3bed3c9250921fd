"""``python -m seedbridge``."""

from seedbridge.cli import main

raise SystemExit(main())
