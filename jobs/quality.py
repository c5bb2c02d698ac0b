"""spark-submit entry point: ``spark-submit jobs/quality.py --conf conf/quality.yaml --set ...``."""

import sys

from webcurate.cli import run_job

if __name__ == "__main__":
    sys.exit(run_job("quality", sys.argv[1:]))
