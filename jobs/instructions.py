"""spark-submit entry point: ``spark-submit jobs/instructions.py --conf conf/instructions.yaml``."""

import sys

from webcurate.cli import run_job

if __name__ == "__main__":
    sys.exit(run_job("instructions", sys.argv[1:]))
