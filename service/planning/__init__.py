"""Planning algorithms: checkpoints, safety walks, inspection rounds, coverage, schedules."""
