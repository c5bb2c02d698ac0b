"""One config system for every job: YAML + ``--set key=value`` into frozen, validated dataclasses.

A job's config is a frozen dataclass whose fields carry their own help, range and choices in
``dataclasses.field(metadata=...)``. Loading is strict, the way dolma's typed configs are: an
unknown key, a value of the wrong type or out of range fails *before any Spark work* with one line
that names the key. The resolved config is plain data, so it can be saved next to the output and
shipped to executors without pickling a job object.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """A config problem, reported as one line naming the key."""


def option(default: Any = dataclasses.MISSING, *, help: str, **checks: Any) -> Any:
    """A config field with one-line ``help`` and optional ``min``/``max``/``choices`` checks."""
    metadata = {"help": help, **checks}
    if isinstance(default, (list, dict)):
        frozen_default = default
        return dataclasses.field(default_factory=lambda: type(frozen_default)(frozen_default),
                                 metadata=metadata)
    if dataclasses.is_dataclass(default) and isinstance(default, type):
        return dataclasses.field(default_factory=default, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def _is_optional(tp: Any) -> tuple[bool, Any]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) < len(typing.get_args(tp)):
            return True, args[0] if len(args) == 1 else typing.Union.__getitem__(tuple(args))
    return False, tp


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Check ``value`` against the annotation ``tp``; accept the obvious safe conversions only."""
    if isinstance(value, CliValue) and tp is not Any:  # Any: typed later, by whoever reads it
        value = _from_cli(value, tp, key)
    optional, inner = _is_optional(tp)
    if value is None:
        if optional:
            return None
        raise ConfigError(f"config key '{key}': must not be null")
    tp = inner
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{key}': expected a mapping, got {value!r}")
        return build(tp, value, prefix=f"{key}.")
    if origin is list:
        (item_tp,) = typing.get_args(tp) or (Any,)
        items = value if isinstance(value, list) else [value]
        return tuple(_coerce(item, item_tp, f"{key}[{i}]") for i, item in enumerate(items))
    if origin is tuple:
        item_tp = typing.get_args(tp)[0]
        items = value if isinstance(value, (list, tuple)) else [value]
        return tuple(_coerce(item, item_tp, f"{key}[{i}]") for i, item in enumerate(items))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{key}': expected a mapping, got {value!r}")
        _, val_tp = typing.get_args(tp)
        return {str(k): _coerce(v, val_tp, f"{key}.{k}") for k, v in value.items()}
    if tp is Any:
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"config key '{key}': expected true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"config key '{key}': expected an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"config key '{key}': expected a number, got {value!r}")
    if tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"config key '{key}': expected a string, got {value!r}")
    raise ConfigError(f"config key '{key}': unsupported type {_type_name(tp)}")


def _check_range(value: Any, meta: dict, key: str) -> None:
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if v is None:
            continue
        if "choices" in meta and v not in meta["choices"]:
            choices = ", ".join(map(str, meta["choices"]))
            raise ConfigError(f"config key '{key}': must be one of {choices}, got {v!r}")
        if "min" in meta and v < meta["min"]:
            raise ConfigError(f"config key '{key}': must be >= {meta['min']}, got {v!r}")
        if "max" in meta and v > meta["max"]:
            raise ConfigError(f"config key '{key}': must be <= {meta['max']}, got {v!r}")


def build(cls: type, raw: dict | None, prefix: str = "") -> Any:
    """Build the dataclass ``cls`` from a raw mapping, strictly."""
    raw = dict(raw or {})
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields))
        raise ConfigError(f"unknown config key '{prefix}{unknown[0]}' (known here: {known})")
    kwargs = {}
    for name, f in fields.items():
        key = f"{prefix}{name}"
        if name in raw:
            kwargs[name] = _coerce(raw[name], hints[name], key)
            _check_range(kwargs[name], f.metadata, key)
        elif dataclasses.is_dataclass(_is_optional(hints[name])[1]) and f.default is None:
            kwargs[name] = None
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"missing required config key '{key}': {f.metadata.get('help', '')}")
    try:
        return cls(**kwargs)
    except ConfigError:  # a nested build already named its key
        raise
    except (TypeError, ValueError) as err:  # a __post_init__ cross-field check
        if str(err).startswith("config key"):  # it already names its key
            raise ConfigError(str(err)) from None
        raise ConfigError(f"config '{prefix.rstrip('.') or cls.__name__}': {err}") from None


class CliValue(str):
    """A value typed on the command line: converted by the target field's type, not by YAML.

    (YAML 1.1 would turn ``--set language=no`` into ``False``.)
    """


_NULL_WORDS = {"null", "none", "~"}
_TRUE_WORDS = {"true", "yes", "on", "1"}
_FALSE_WORDS = {"false", "no", "off", "0"}


def _from_cli(value: CliValue, tp: Any, key: str) -> Any:
    text = str(value).strip()
    optional, inner = _is_optional(tp)
    if optional and text.lower() in _NULL_WORDS:
        return None
    origin = typing.get_origin(inner)
    if origin in (list, tuple):
        if text.startswith("["):
            return yaml.safe_load(text)
        return [CliValue(part) for part in text.split(",") if part.strip()]
    try:
        if inner is bool:
            if text.lower() in _TRUE_WORDS | _FALSE_WORDS:
                return text.lower() in _TRUE_WORDS
        elif inner is int:
            return int(text.replace("_", ""))
        elif inner is float:
            return float(text)
        elif dataclasses.is_dataclass(inner) or origin is dict:
            return yaml.safe_load(text)
        else:
            return str(value)
    except (ValueError, yaml.YAMLError):
        pass
    raise ConfigError(f"config key '{key}': cannot read {text!r} as {_type_name(inner)}")


def parse_override(text: str) -> tuple[str, CliValue]:
    """``a.b=value`` -> (``a.b``, the value as typed; converted later by the field's type)."""
    key, sep, raw_value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set expects key=value, got '{text}'")
    return key, CliValue(raw_value)


def _field_type(cls: Any, name: str) -> Any:
    if not dataclasses.is_dataclass(cls):
        return None
    hints = typing.get_type_hints(cls)
    return _is_optional(hints[name])[1] if name in hints else None


def apply_override(raw: dict, cls: type, dotted_key: str, value: Any) -> dict:
    """Set ``dotted_key`` in the raw mapping; a dict-typed field takes the rest as one key.

    ``spark.conf.spark.executor.memory=4g`` therefore sets the key ``spark.executor.memory``
    inside the ``spark.conf`` mapping.
    """
    parts = dotted_key.split(".")
    node, tp = raw, cls
    for i, part in enumerate(parts[:-1]):
        field_tp = _field_type(tp, part)
        if typing.get_origin(field_tp) is dict:
            node.setdefault(part, {})
            if not isinstance(node[part], dict):
                node[part] = {}
            node[part][".".join(parts[i + 1:])] = value
            return raw
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node, tp = node[part], field_tp
    node[parts[-1]] = value
    return raw


def load_yaml(path: str | Path) -> dict:
    """Read a YAML mapping; a missing file or non-mapping content is a one-line ConfigError."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        first_line = str(err).splitlines()[0]
        raise ConfigError(f"config file {path}: invalid YAML ({first_line})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: expected a mapping at top level")
    return data


def load_config(cls: type, conf_files: list[str | Path] = (), overrides: list[str] = (),
                base: dict | None = None) -> Any:
    """``base`` (a recipe section), YAML files (later ones win), then ``--set`` overrides,
    built into ``cls``."""
    raw: dict = dict(base or {})
    for conf_file in conf_files:
        raw = deep_merge(raw, load_yaml(conf_file))
    for text in overrides:
        key, value = parse_override(text)
        raw = apply_override(raw, cls, key, value)
    return build(cls, raw)


def deep_merge(base: dict, update: dict) -> dict:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def to_dict(config: Any) -> Any:
    """Plain-data form of a config (tuples as lists), for YAML/JSON and for executors."""
    if dataclasses.is_dataclass(config):
        return {f.name: to_dict(getattr(config, f.name)) for f in dataclasses.fields(config)}
    if isinstance(config, CliValue):
        return str(config)
    if isinstance(config, (list, tuple)):
        return [to_dict(v) for v in config]
    if isinstance(config, dict):
        return {k: to_dict(v) for k, v in config.items()}
    return config


_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


def redact(value: Any) -> Any:
    """``value`` with credentials in URLs (``scheme://user:password@host``) replaced by ``***``:
    what is printed or saved must never carry a secret."""
    if isinstance(value, str):
        return _URL_CREDENTIALS.sub(r"\g<scheme>***@", value)
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def to_yaml(config: Any) -> str:
    """The config as YAML for people and for ``config.yaml``, URL credentials redacted."""
    return yaml.safe_dump(redact(to_dict(config)), sort_keys=False, allow_unicode=True)


def describe(cls: type, prefix: str = "") -> list[tuple[str, str, str]]:
    """(key, default, help) for every field, nested sections flattened: for ``--help``."""
    rows = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        inner = _is_optional(hints[f.name])[1]
        if dataclasses.is_dataclass(inner):
            rows.extend(describe(inner, prefix=f"{key}."))
            continue
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = repr(f.default_factory())
        else:
            default = "(required)"
        rows.append((key, default, f.metadata.get("help", "")))
    return rows
