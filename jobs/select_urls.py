"""spark-submit entry point: ``spark-submit jobs/select_urls.py --set input=... --set urls=...``."""

import sys

from webcurate.cli import run_job

if __name__ == "__main__":
    sys.exit(run_job("select-urls", sys.argv[1:]))
