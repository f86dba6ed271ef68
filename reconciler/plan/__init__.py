"""Planning, pure: normalise, diff, ownership, drift and the planner itself.  No I/O."""
