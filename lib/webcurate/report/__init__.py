"""The run report: ``report/index.html`` under a pipeline's output, one self-contained page
with the funnel, removals per filter and reason, languages, quality scores, duplicate clusters
and sampled documents. ``build_report`` is the entry point; ``load_stage(s)`` read outputs."""

from webcurate.report.build import build_report, load_stages
from webcurate.report.stages import StageOutput, load_stage

__all__ = ["StageOutput", "build_report", "load_stage", "load_stages"]
