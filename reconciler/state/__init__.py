"""What a state is made of: the kinds registry, the desired-state models, live objects and fingerprints."""
