"""Fail `make dist` when the venv about to be packed would not work on a cluster.

Run by tools/build_dist.sh with the venv's own Python: ``check_dist_venv.py VENV WITH_PYSPARK``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

COMPILED = ("resiliparse", "fastwarc", "pyarrow", "numpy", "fasttext_pybind")


def problems(venv: str, with_pyspark: bool) -> list[str]:
    import fasttext

    import webcurate
    from webcurate.recipes import available_recipes
    from webcurate.resources.fetch import verified
    from webcurate.resources.lists import assets_dir

    found = [f"{name} cannot be imported" for name in COMPILED
             if importlib.util.find_spec(name) is None]
    if not hasattr(fasttext, "train_supervised"):
        found.append("fasttext is fasttext-predict's predict-only module, not the full one")
    if not os.path.realpath(webcurate.__file__).startswith(os.path.realpath(venv) + os.sep):
        found.append(f"webcurate imports from {webcurate.__file__}, not from the venv")
    if not verified(Path(assets_dir())):
        found.append(f"filter lists missing or not matching their hashes in {assets_dir()}")
    if "fineweb" not in available_recipes():
        found.append("recipes not installed in share/webcurate/recipes")
    if (importlib.util.find_spec("pyspark") is not None) != with_pyspark:
        found.append(f"pyspark {'missing' if with_pyspark else 'still installed'}")
    return found


if __name__ == "__main__":
    found = problems(sys.argv[1], sys.argv[2] == "1")
    if found:
        sys.exit("build_dist: error: " + "; ".join(found))
