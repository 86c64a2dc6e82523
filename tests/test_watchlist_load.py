"""Watchlist files: a file or a folder, actors shared across files, every mistake located."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ConfigError, Problem
from monitor.match import load_watchlists

CONTRACT_EXAMPLE = """\
actors:
  kim_jong_un:
    names: ["Kim Jong-un", "Kim Chong-un"]
    fuzzy: true
  russia:
    names: ["Russia", "Russian*", "Moscow", "Kremlin"]
watchlists:
  - name: dprk-russia
    query: 'kim_jong_un AND (russia OR treaty)'
    fields: [title, summary, content]
    destinations: [newsroom]
  - name: any-russia
    query: russia
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        load_watchlists(path)
    return caught.value.problems


def test_contract_example_loads_and_matches(tmp_path: Path) -> None:
    path = write(tmp_path, "watch.yaml", CONTRACT_EXAMPLE)
    matcher = load_watchlists(path)
    infos = {w.name: w for w in matcher.watchlists}
    assert infos["dprk-russia"].destinations == ("newsroom",)
    assert infos["dprk-russia"].file == str(path) and infos["dprk-russia"].line == 8
    assert infos["any-russia"].destinations is None
    assert infos["any-russia"].fields == ("title", "summary", "content")
    hits = matcher.match_text("Kim Jung Un signs treaty")
    assert [(h.watchlist, h.terms, h.destinations) for h in hits] == [
        ("dprk-russia", ("Kim Jung Un", "treaty"), ("newsroom",))
    ]


def test_folder_reads_yaml_and_yml_sorted_and_shares_actors(tmp_path: Path) -> None:
    write(tmp_path, "a-actors.yaml", "actors:\n  russia:\n    names: [Russia, Kremlin]\n")
    write(tmp_path, "b-topics.yml", "watchlists:\n  - name: kremlin\n    query: russia AND oil\n")
    write(tmp_path, "c-more.yaml", "watchlists:\n  - name: gas\n    query: gas\n")
    write(tmp_path, "notes.txt", "not: [a watchlist")
    matcher = load_watchlists(tmp_path)
    assert [w.name for w in matcher.watchlists] == ["kremlin", "gas"]
    assert [h.watchlist for h in matcher.match_text("Kremlin oil and gas")] == ["gas", "kremlin"]


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    assert "no such" in problems_of(tmp_path / "nope.yaml")[0].message
    assert "no *.yaml" in problems_of(tmp_path)[0].message


def test_empty_file_is_no_watchlists(tmp_path: Path) -> None:
    assert load_watchlists(write(tmp_path, "w.yaml", "")).watchlists == ()


@pytest.mark.parametrize(
    ("line", "column"),
    [
        # a query line as written, and the column (1-based) of its "(" in the file
        ("    query: 'a AND ()'", 19),
        ('    query: "a AND ()"', 19),
        ("    query: a AND ()", 18),
        ("    query: 'it''s AND ()'", 23),  # '' is one character of the value
        ('    query: "caf\\u00e9 AND ()"', 27),  # so is an escape
    ],
)
def test_query_errors_point_into_the_file(tmp_path: Path, line: str, column: int) -> None:
    path = write(tmp_path, "w.yaml", f"watchlists:\n  - name: bad\n{line}\n")
    [problem] = problems_of(path)
    assert (problem.file, problem.line, problem.column) == (str(path), 3, column)
    assert "watchlist 'bad'" in problem.message and "empty group" in problem.message
    assert problem.field == "watchlists[0].query"
    assert problem.excerpt is not None
    source, caret = problem.excerpt.split("\n")
    assert source == "    " + line
    assert caret.index("^") == column + 3
    assert str(problem).startswith(f"{path}:3:{column}: ")


def test_block_scalar_query_error_points_at_its_line(tmp_path: Path) -> None:
    text = 'watchlists:\n  - name: bad\n    query: |\n      kim AND\n      "unclosed OR x\n'
    [problem] = problems_of(write(tmp_path, "w.yaml", text))
    assert (problem.line, problem.column) == (5, 7)
    assert "unclosed quote" in problem.message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        """\
actors:
  russia:
    names: [Russia]
    colour: red
  nobody:
    names: []
  ghost:
    fuzzy: true
  odd:
    names: [Odd Name]
    fuzzy: 140
watchlists:
  - name: one
    query: 'russia AND (oil OR gas'
    fields: [title, body]
  - name: two
    query: a NEAR b
    extra: 1
  - name: three
    query: ok
    destinations: []
  - query: no name
""",
    )
    write(tmp_path, "b.yaml", "settings: {}\nwatchlists:\n  - name: one\n    query: x AND\n")
    problems = problems_of(tmp_path)
    found = {(Path(p.file or "").name, p.line, p.message.split(" (")[0]) for p in problems}
    assert found == {
        ("a.yaml", 4, "unknown key 'colour'"),
        ("a.yaml", 6, "actor 'nobody' has no names"),
        ("a.yaml", 7, "actor 'ghost' has no names"),
        ("a.yaml", 11, "fuzzy must be true, false or a similarity threshold"),
        ("a.yaml", 15, "unknown field 'body'"),
        ("a.yaml", 18, "unknown key 'extra'"),
        ("a.yaml", 21, "destinations is empty"),
        ("a.yaml", 22, "name is required"),
        ("a.yaml", 14, "watchlist 'one': unclosed parenthesis"),
        ("a.yaml", 17, "watchlist 'two': NEAR needs a distance in words, written NEAR/5"),
        ("b.yaml", 1, "unknown key 'settings'"),
        ("b.yaml", 3, "duplicate watchlist name 'one'"),
        ("b.yaml", 4, "watchlist 'one': AND needs a term after it"),
    }
    assert all("Traceback" not in str(p) for p in problems)


def test_fuzzy_threshold_as_a_number(tmp_path: Path) -> None:
    text = "actors:\n  k:\n    names: [Kim Jong-un]\n    fuzzy: 0.95\nwatchlists:\n  - name: k\n    query: k\n"
    matcher = load_watchlists(write(tmp_path, "w.yaml", text))
    assert matcher.match_text("Kim Jong-eun")  # 95.7
    assert not matcher.match_text("Kim Jung Un")  # 90.9


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    [problem] = problems_of(write(tmp_path, "w.yaml", "watchlists:\n  - name: [oops\n"))
    assert problem.line is not None and "YAML" in problem.message


def test_file_must_be_a_mapping(tmp_path: Path) -> None:
    [problem] = problems_of(write(tmp_path, "w.yaml", "- just\n- a list\n"))
    assert "mapping" in problem.message
