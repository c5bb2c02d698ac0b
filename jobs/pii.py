"""spark-submit entry point: ``spark-submit jobs/pii.py --conf conf/pii.yaml --set input=...
--set output=...``."""

import sys

from webcurate.cli import run_job

if __name__ == "__main__":
    sys.exit(run_job("pii", sys.argv[1:]))
