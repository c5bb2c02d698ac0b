"""Dedup config: cross-field rules fail before Spark with one line; tags keep runs apart."""

from __future__ import annotations

import pytest

from webcurate.cli import run_job
from webcurate.config import load_config
from webcurate.jobs.dedup import DedupJobConfig, plan_dedup

BASE = ["--set", "input=x", "--set", "output=y"]


@pytest.mark.parametrize("overrides, message", [
    (["minhash.bands=10"], "config keys 'minhash.bands' x 'minhash.rows' must equal "
                           "'minhash.num_perm': 10 x 8 = 80, not 112"),
    (["mode=fuzzy"], "config key 'mode': must be one of minhash, exact, lines"),
    (["minhash.threshold=1.5"], "config key 'minhash.threshold': must be <= 0.99"),
    (["components.checkpoint_dir=s3://bucket/ckpt"], "config key 'components.checkpoint_dir'"),
    (["lines.policy=some"], "config key 'lines.policy': must be one of keep_first, drop_all"),
    (["minhash.nperm=5"], "unknown config key 'minhash.nperm'"),
])
def test_bad_settings_fail_before_spark_with_one_line(overrides, message, capsys):
    args = ["--conf", "conf/dedup.yaml", *BASE, *[f"--set={o}" for o in overrides]]
    assert run_job("dedup", args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err, err


def plan(*overrides: str):
    return plan_dedup(load_config(DedupJobConfig, ["conf/dedup.yaml"], [*BASE[1::2],
                                                                      *overrides]))


def test_threshold_picks_bands_and_rows_and_the_tag_names_them():
    chosen = plan("minhash.threshold=0.8")
    assert (chosen.bands, chosen.rows, chosen.bands_rows_from) == (9, 12, "threshold")
    assert chosen.tag.startswith("minhash-n5-p112-b9x12-s42-")
    default = plan()
    assert default.tag.startswith("minhash-n5-p112-b14x8-s42-") and default.steps == (
        "exact", "near")


def test_every_result_setting_changes_the_tag_and_nothing_else_does():
    default = plan().tag
    for setting in ("minhash.seed=7", "minhash.verify=true", "normalize.digits=true",
                    "survivor.rule=newest", "exact_dedup=false", "url_dedup=true"):
        assert plan(setting).tag != default, setting
    for setting in ("components.max_iterations=3", "spark.driver_memory=8g", "overwrite=true",
                    "lines.unit=paragraph"):
        assert plan(setting).tag == default, setting
    assert plan("mode=lines").tag.startswith("lines-line-keep_first-")
    assert plan("mode=exact").tag.startswith("exact-")
