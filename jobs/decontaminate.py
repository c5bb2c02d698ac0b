"""spark-submit entry point: ``spark-submit jobs/decontaminate.py --conf conf/decontaminate.yaml
--set input=... --set output=...``."""

import sys

from webcurate.cli import run_job

if __name__ == "__main__":
    sys.exit(run_job("decontaminate", sys.argv[1:]))
