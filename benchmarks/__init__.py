"""Benchmarks of ``reconcile plan`` and ``apply`` against the sandbox emulators (``make bench``).

No tool in this field publishes numbers, so these exist to publish ours honestly: every figure
is measured side by side, against the same servers and in the same run, with two baselines a
user can check by reading them: the I/O floor (``floor.py``: bare paging of every live object)
and the naive script (``naive.py``: one GET per declared object, one PUT per difference).
``run.py`` is the entry point; ``README.md`` explains the method.
"""
