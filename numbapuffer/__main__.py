"""`python -m numbapuffer ...`: the same as the `numbapuffer` command."""
from numbapuffer.cli import main

raise SystemExit(main())
