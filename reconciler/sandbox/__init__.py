"""Loopback emulators of the Hydra admin API and the APISIX Admin API.

They are real HTTP servers, held to the behaviour written in ``shared/spec``: defaults,
envelopes, error texts, paging and secret handling.  ``reconcile sandbox``, ``make demo``, the
tests and the benchmarks all run against them.
"""
