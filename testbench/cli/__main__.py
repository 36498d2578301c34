"""``python -m testbench.cli``: the same as the `testbench` command."""

from testbench.cli.app import main

main()
