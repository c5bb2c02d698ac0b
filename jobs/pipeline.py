"""spark-submit entry point: ``spark-submit jobs/pipeline.py --recipe fineweb --set ...``."""

import sys

from webcurate.cli import run_job

if __name__ == "__main__":
    sys.exit(run_job("pipeline", sys.argv[1:]))
