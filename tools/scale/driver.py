"""What the harness spark-submits: a webcurate job, with phase markers for the harness.

``spark-submit tools/scale/driver.py JOB ARGS...`` runs ``webcurate JOB ARGS...`` exactly as
``jobs/JOB.py`` does, and appends one JSON line per phase start and end (``{"event":
"start", "phase": "filter", "t": ...}``) to the file named by ``WEBCURATE_SCALE_MARKERS``.
Phases are the pipeline's stages and dedup's connected components. The harness reads the
markers to kill an executor while a phase runs, and to attribute the event log's Spark stages
to pipeline stages by time. Wrapping changes nothing in what the job computes.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time


def mark(event: str, phase: str, **extra) -> None:
    path = os.environ.get("WEBCURATE_SCALE_MARKERS")
    if not path:
        return
    line = json.dumps({"event": event, "phase": phase, "t": time.time(), **extra})
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(line + "\n")


def _marked(function, phase_of):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        phase = phase_of(*args)
        mark("start", phase)
        try:
            result = function(*args, **kwargs)
        except BaseException:
            mark("end", phase, ok=False)
            raise
        mark("end", phase, ok=True)
        return result
    return wrapper


def _stage_name(stage, *_) -> str:
    return getattr(stage, "name", stage)  # a registered Stage, or (older code) its name


def install_markers() -> bool:
    """Wrap ``run_stage`` (every job, every pipeline stage) and dedup's
    ``connected_components``; False when no ``run_stage`` was found to wrap."""
    import importlib

    wrapped = False
    for module_name in ("webcurate.running", "webcurate.cli"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, "run_stage"):
            module.run_stage = _marked(module.run_stage, _stage_name)
            wrapped = True
    try:
        from webcurate.dedup.spark import components, near
    except ImportError:  # dedup reorganised: no components marker, the harness says so
        return wrapped
    if hasattr(near, "connected_components"):
        near.connected_components = _marked(near.connected_components, lambda *_: "components")
    if hasattr(components, "connected_components"):
        components.connected_components = _marked(components.connected_components,
                                                  lambda *_: "components")
    return wrapped


def main(argv: list[str]) -> int:
    from webcurate.cli import run_job

    wrapped = install_markers()
    job, rest = argv[0], argv[1:]
    if job != "pipeline" and not wrapped:  # a single job: its whole run is one phase
        mark("start", job)
        code = run_job(job, rest)
        mark("end", job, ok=code == 0)
        return code
    return run_job(job, rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
