"""spark-submit entry point: ``spark-submit jobs/extract.py --conf conf/extract.yaml --set ...``."""

import sys

from webcurate.cli import run_job

if __name__ == "__main__":
    sys.exit(run_job("extract", sys.argv[1:]))
