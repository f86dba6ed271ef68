"""Loading: YAML files -> validated, merged, resolved desired state (no network)."""
