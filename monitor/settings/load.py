"""Load the daemon config file into Settings; every mistake comes back with file, line and field."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from monitor.errors import ConfigError, Problem
from monitor.settings.models import Settings
from monitor.settings.yamlsrc import Located, load_yaml


def problems_from_validation(exc: ValidationError, located: Located) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown setting '{loc[-1]}'"
        problems.append(located.problem(message, loc))
    return problems


def load_settings(path: Path) -> Settings:
    located = load_yaml(path)
    data = located.data if located.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError([Problem("the config file must be a mapping of settings", str(path), 1)])
    if "base_dir" in data:
        raise ConfigError([located.problem("unknown setting 'base_dir'", ("base_dir",))])
    try:
        return Settings.model_validate({**data, "base_dir": path.resolve().parent})
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, located)) from exc
