"""Pydantic models of the desired-state format.

They exist to reject, offline and with a file position, everything Ory Hydra or Apache APISIX
would reject (and the typos Hydra would silently accept).  The loader validates plain data
against them; the bodies it hands the engine are built from the user's data, never from model
dumps, so a model can never add a default the user did not write.
"""
