"""spark-submit entry point: ``spark-submit jobs/long_context.py --conf conf/long_context.yaml``."""

import sys

from webcurate.cli import run_job

if __name__ == "__main__":
    sys.exit(run_job("long-context", sys.argv[1:]))
