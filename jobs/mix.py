"""spark-submit entry point: ``spark-submit jobs/mix.py --conf conf/mix.yaml --set ...``."""

import sys

from webcurate.cli import run_job

if __name__ == "__main__":
    sys.exit(run_job("mix", sys.argv[1:]))
