"""YAML read with its places: every value's line and column, so errors can point at the source."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from monitor.errors import ConfigError, Problem

Loc = tuple[str | int, ...]
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class Located:
    """A YAML document's data with the (line, column) of every mapping value and sequence item, 1-based."""

    data: Any
    file: str
    places: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def place(self, loc: Loc) -> tuple[int | None, int | None]:
        """The place of loc, or of its nearest enclosing value that has one."""
        for end in range(len(loc), -1, -1):
            hit = self.places.get(loc[:end])
            if hit:
                return hit
        return None, None

    def problem(self, message: str, loc: Loc, *, caret: bool = False) -> Problem:
        line, column = self.place(loc)
        excerpt = None
        if caret and line is not None and column is not None and 0 < line <= len(self.lines):
            excerpt = "    " + self.lines[line - 1] + "\n    " + " " * (column - 1) + "^"
        return Problem(message, self.file, line, column, dotted(loc) or None, excerpt)


def dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _record(node: yaml.Node, loc: Loc, places: dict[Loc, tuple[int, int]], problems: list[str]) -> None:
    places[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                problems.append(f"{key_node.start_mark.line + 1}:{dotted((*loc, key))}")
            seen.add(key)
            _record(value_node, (*loc, key), places, problems)
            places[(*loc, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, (*loc, index), places, problems)


def load_yaml(path: Path, *, expand_env: bool = True) -> Located:
    """Read one YAML file. Syntax errors, duplicate keys and unset ${VARS} raise ConfigError with places."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(f"cannot read: {exc}", name)]) from exc
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        message = f"YAML syntax: {exc.problem or exc}"
        raise ConfigError([Problem(message, name, line, column)]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(f"YAML: {exc}", name)]) from exc
    finally:
        loader.dispose()
    located = Located(data, name, lines=text.splitlines())
    duplicates: list[str] = []
    if node is not None:
        _record(node, (), located.places, duplicates)
    problems = [
        Problem(f"duplicate key '{d.split(':', 1)[1]}'", name, int(d.split(":", 1)[0]), None, d.split(":", 1)[1])
        for d in duplicates
    ]
    if expand_env:
        located.data = _expand(located.data, (), located, problems)
    if problems:
        raise ConfigError(problems)
    return located


def _expand(value: Any, loc: Loc, located: Located, problems: list[Problem]) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, (*loc, k), located, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, (*loc, i), located, problems) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:

        def substitute(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in os.environ:
                problems.append(located.problem(f"environment variable {name} is not set", loc))
                return ""
            return os.environ[name]

        return _ENV_REF.sub(substitute, value)
    return value
