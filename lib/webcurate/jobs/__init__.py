"""One importable read -> transform -> write function per stage, and the registry of jobs."""
