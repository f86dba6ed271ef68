"""A loopback APISIX data plane over the Admin API emulator's store (``reconcile sandbox --gateway``)."""

from reconciler.sandbox.gateway.gateway import Gateway

__all__ = ["Gateway"]
