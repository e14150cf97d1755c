"""`python -m numbapuffer ...`: the same as the `numbapuffer` command."""
from numbapuffer.tools.cli import main

raise SystemExit(main())
