from blinacalc.cli import run

run()
