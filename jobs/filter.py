"""spark-submit entry point: ``spark-submit jobs/filter.py --recipe fineweb --set ...``."""

import sys

from webcurate.cli import run_job

if __name__ == "__main__":
    sys.exit(run_job("filter", sys.argv[1:]))
