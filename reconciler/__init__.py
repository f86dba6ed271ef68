"""reconcile: GitOps for the identity edge.

One desired state, kept in Git, describes the OAuth2 clients of an Ory Hydra and the
resources of an Apache APISIX.  The package is a one-way pipeline
(load -> fetch -> normalize -> plan -> apply -> report); each stage is a module, and only
``cli.py`` wires them together.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
