import sys

from blinacalc.cli import main

sys.exit(main())
