"""The config system: strict, typed, one line naming the key on every error."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from webcurate.config import ConfigError, describe, load_config, option, to_dict, to_yaml


@dataclass(frozen=True)
class Inner:
    ratio: float = option(0.5, min=0.0, max=1.0, help="a ratio")
    mode: str = option("fast", choices=("fast", "exact"), help="a mode")
    limit: int | None = option(None, min=1, help="optional limit")


@dataclass(frozen=True)
class Outer:
    output: str = option(help="required output")
    inputs: list[str] = option([], help="inputs")
    flag: bool = option(False, help="a flag")
    language: str = option("en", help="a language code")
    inner: Inner = option(Inner, help="nested section")
    conf: dict[str, str] = option({}, help="free-form mapping")


def write(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_yaml_then_overrides_build_typed_config(tmp_path):
    path = write(tmp_path, "output: out\ninner:\n  ratio: 0.25\n")
    cfg = load_config(Outer, [path], ["inner.mode=exact", "flag=true", "inputs=a,b",
                                      "inner.limit=7"])
    assert cfg.output == "out"
    assert cfg.inner == Inner(ratio=0.25, mode="exact", limit=7)
    assert cfg.flag is True
    assert cfg.inputs == ("a", "b")


def test_cli_value_is_typed_by_the_field_not_by_yaml():
    # YAML 1.1 would read `no` as False; the field is a string, so it stays "no".
    cfg = load_config(Outer, [], ["output=o", "language=no", "inner.limit=null"])
    assert cfg.language == "no"
    assert cfg.inner.limit is None


def test_dict_field_takes_the_rest_of_the_dotted_key():
    cfg = load_config(Outer, [], ["output=o", "conf.spark.executor.memory=8g"])
    assert cfg.conf == {"spark.executor.memory": "8g"}


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["output=o", "inner.ratoi=0.1"], "unknown config key 'inner.ratoi'"),
        (["output=o", "bogus=1"], "unknown config key 'bogus'"),
        (["output=o", "inner.ratio=1.5"], "config key 'inner.ratio': must be <= 1.0"),
        (["output=o", "inner.ratio=abc"], "config key 'inner.ratio': cannot read 'abc'"),
        (["output=o", "inner.mode=slow"], "config key 'inner.mode': must be one of fast, exact"),
        (["output=o", "inner.limit=0"], "config key 'inner.limit': must be >= 1"),
        (["output=o", "flag=maybe"], "config key 'flag': cannot read 'maybe'"),
        ([], "missing required config key 'output'"),
        (["output"], "--set expects key=value"),
    ],
)
def test_bad_config_fails_with_one_line_naming_the_key(overrides, message):
    with pytest.raises(ConfigError) as err:
        load_config(Outer, [], overrides)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_wrong_yaml_type_names_the_key(tmp_path):
    path = write(tmp_path, "output: o\ninner:\n  ratio: [1, 2]\n")
    with pytest.raises(ConfigError, match=r"config key 'inner\.ratio': expected a number"):
        load_config(Outer, [path])


def test_missing_and_invalid_files_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(Outer, [tmp_path / "nope.yaml"])
    with pytest.raises(ConfigError, match="expected a mapping at top level"):
        load_config(Outer, [write(tmp_path, "- a\n- b\n")])


def test_resolved_config_round_trips_through_yaml(tmp_path):
    cfg = load_config(Outer, [], ["output=o", "inputs=x"])
    again = load_config(Outer, [write(tmp_path, to_yaml(cfg))])
    assert again == cfg
    assert to_dict(cfg)["inner"]["mode"] == "fast"


def test_describe_lists_nested_keys_with_help():
    keys = {key: help_text for key, _, help_text in describe(Outer)}
    assert keys["inner.ratio"] == "a ratio"
    assert keys["output"] == "required output"
