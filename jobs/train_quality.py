"""spark-submit entry point: ``spark-submit jobs/train_quality.py --conf conf/train_quality.yaml
--set positives=... --set negatives=... --set model=...``."""

import sys

from webcurate.cli import run_job

if __name__ == "__main__":
    sys.exit(run_job("train-quality", sys.argv[1:]))
