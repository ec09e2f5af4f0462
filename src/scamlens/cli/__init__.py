"""The ``scamlens`` command line: thin commands over the library layers."""

import os

# numpy asks the kernel for 2 MB pages for its large arrays. On the virtual machines
# scamlens runs on, the first touch of each such page costs far more than the pages
# save: the batch benchmark's candidate analysis ran 2.5 times slower with them
# (benchmarks/batch/RESULTS.md). The variable is numpy's own and is read when numpy
# is imported, so it is set before any command imports it; set it to 1 to keep
# them.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

from scamlens.cli.app import cli, main  # noqa: E402

__all__ = ["cli", "main"]
