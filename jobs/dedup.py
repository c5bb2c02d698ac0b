"""spark-submit entry point: ``spark-submit jobs/dedup.py --conf conf/dedup.yaml --set ...``."""

import sys

from webcurate.cli import run_job

if __name__ == "__main__":
    sys.exit(run_job("dedup", sys.argv[1:]))
