"""spark-submit entry point: ``spark-submit jobs/tokenize_documents.py --set input=...``."""

import sys

from webcurate.cli import run_job

if __name__ == "__main__":
    sys.exit(run_job("tokenize", sys.argv[1:]))
