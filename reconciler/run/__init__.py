"""Running the pipeline against servers: adapters (the only HTTP), fetch, apply, saved plans, dump."""
