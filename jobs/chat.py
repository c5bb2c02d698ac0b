"""spark-submit entry point: ``spark-submit jobs/chat.py --conf conf/chat.yaml``."""

import sys

from webcurate.cli import run_job

if __name__ == "__main__":
    sys.exit(run_job("chat", sys.argv[1:]))
