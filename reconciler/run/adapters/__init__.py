"""Adapters: the only modules that speak HTTP.  One per admin API, the same verbs per kind."""
