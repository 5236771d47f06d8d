"""rustle-invoke's benchmark suite: ``invoke bench`` or ``python -m bench.suite``.

Every number is the wall time of a whole process as a user sees it (``rustle-invoke
compile``, a compiled binary, ``rustle-invoke --help``); ratios are taken between numbers
of one run on one machine. Results and how to read them: docs/benchmarks.md.
"""
