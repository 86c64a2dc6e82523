"""Matching semantics, table-driven: grammar, normalization hazards, traps, fuzzy names, hits and errors."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime

import pytest

from monitor.errors import ConfigError
from monitor.match import ActorSpec, Matcher, WatchlistSpec, compile_matcher
from monitor.match.evaluate import evaluate
from monitor.match.text import scan
from monitor.model import Hit, RawEntry
from monitor.normalize import html_to_text, normalize_entry

ACTORS = (
    ActorSpec("kim_jong_un", ("Kim Jong-un", "Kim Chong-un"), fuzzy=88.0),
    ActorSpec("russia", ("Russia", "Russian*", "Moscow", "Kremlin")),
    ActorSpec("un", ("=UN", "United Nations")),
    ActorSpec("tarique_rahman", ("Tarique Rahman",), fuzzy=88.0),
)
NOW = datetime(2026, 2, 18, 12, tzinfo=UTC)


def matcher_for(query: str, fields: tuple[str, ...] | None = None, actors: tuple[ActorSpec, ...] = ACTORS) -> Matcher:
    return compile_matcher(actors, [WatchlistSpec("w", query, fields)])


def hit(query: str, title: str = "", summary: str = "", content: str = "", **kw: object) -> Hit | None:
    fields = kw.get("fields")
    assert fields is None or isinstance(fields, tuple)
    hits = matcher_for(query, fields).match_text(title, summary, content)
    return hits[0] if hits else None


GRAMMAR = [
    # (query, title, summary, content, matches)
    ("treaty", "A new treaty", "", "", True),
    ("treaty", "Treaties signed", "", "", False),  # whole words, no plural folding
    ('"prime minister"', "The Prime Minister said", "", "", True),
    ('"prime minister"', "The minister, prime suspect", "", "", False),
    ("russia", "Kremlin says no", "", "", True),  # actor: the OR of its names
    ("russia", "Russian troops", "", "", True),  # actor name with a prefix
    ("russia", "Russians abroad", "", "", True),
    ("russia", "Prussia rises", "", "", False),
    ("Russia", "Kremlin says no", "", "", False),  # actor ids are case-sensitive: this is the word
    ("Russia", "Russia says no", "", "", True),
    ("sanction*", "New sanctions", "", "", True),
    ("sanction*", "Unsanctioned", "", "", False),
    ("a* AND treaty", "A treaty", "", "", True),
    ("treaty AND russia", "Moscow treaty", "", "", True),
    ("treaty AND russia", "Moscow summit", "", "", False),
    ("treaty russia", "Moscow treaty", "", "", True),  # side by side means AND
    ("treaty OR russia", "Moscow summit", "", "", True),
    ("summit AND NOT russia", "Moscow summit", "", "", False),
    ("summit AND NOT russia", "Paris summit", "", "", True),
    ("summit NOT russia", "Paris summit", "", "", True),
    ("(treaty OR pact) AND russia", "Kremlin pact", "", "", True),
    ("treaty OR pact AND russia", "A treaty", "", "", True),  # AND binds tighter than OR
    ("kim_jong_un AND (russia OR treaty)", "Kim Jong-un signs treaty", "", "", True),
    ("kim_jong_un AND (russia OR treaty)", "Kim Jong-un visits Seoul", "", "", False),
]

PROXIMITY = [
    ("putin NEAR/3 treaty", "Putin will sign the treaty", "", "", True),  # 3 words between
    ("putin NEAR/3 treaty", "Putin will sign the new treaty", "", "", False),  # 4 words between
    ("putin NEAR/3 treaty", "Putin will sign the long awaited treaty", "", "", False),  # 5 between
    ("putin NEAR/3 treaty", "The treaty was signed by Putin", "", "", True),  # either order
    ("putin NEAR/2 treaty", "Putin, as expected, signs treaty", "", "", False),  # 3 between: one too many
    ("putin NEAR/3 treaty", "Putin, as expected, signs treaty", "", "", True),
    ("putin NEAR/0 treaty", "Putin treaty", "", "", True),
    ("kim_jong_un NEAR/10 (russia OR treaty)", "Kim Jong-un said on Monday the treaty holds", "", "", True),
    ("kim_jong_un NEAR/2 (russia OR treaty)", "Kim Jong-un said on Monday the treaty holds", "", "", False),
    ('"prime minister" NEAR/2 bangladesh', "Bangladesh's new prime minister", "", "", True),
    ("(putin NEAR/2 xi) NEAR/3 treaty", "Putin and Xi sign a treaty", "", "", True),
    ("putin NEAR/5 treaty", "Talks with Putin", "Treaty signed", "", False),  # NEAR stays within one field
    ("putin NEAR/5 treaty", "", "Putin signed the treaty", "", True),
    ("russia NEAR/1 russia", "Russia", "", "", False),  # one word cannot be both sides
]

SCOPES = [
    ("title:olympic* AND gold", "Olympic final", "She won gold", "", True),
    ("title:olympic* AND gold", "Ski final", "Olympic gold for her", "", False),  # Olympic only in summary
    ("summary:treaty", "Treaty talk", "", "", False),
    ("summary:treaty", "", "A treaty", "", True),
    ("content:treaty", "", "", "The treaty", True),
    ("title:(treaty OR pact)", "A pact", "", "", True),
    ("title:russia", "Moscow", "", "", True),
]

HAZARDS = [
    ("kim_jong_un", "KIM JONG UN VISITS", "", "", True),
    ("kim_jong_un", "Kim Jong Un visits", "", "", True),
    ("kim_jong_un", "Kim Jong\u2011un visits", "", "", True),  # non-breaking hyphen
    ("kim_jong_un", "Kim Jong\u2013un visits", "", "", True),  # en dash
    ("kim_jong_un", "Kim\u00a0Jong-un visits", "", "", True),  # NBSP
    ("kim_jong_un", "Kim \u200bJong-un visits", "", "", True),  # zero-width space next to a space
    ("kim_jong_un", "Kim Jong\u00adun visits", "", "", False),  # a soft hyphen joins: "jongun"
    ("kim_jong_un", html_to_text("<b>Kim</b> Jong-un visits"), "", "", True),
    ("kim_jong_un", html_to_text("Kim&nbsp;Jong&#8209;un visits"), "", "", True),
    ("kim_jong_un", "Kim Jong-un\u2019s sister", "", "", True),  # possessive
    ("russia", "Russia's oil", "", "", True),
    ("russia", "RUSSIA\u2019S OIL", "", "", True),
    ("greenland", html_to_text("Green&shy;land tariffs"), "", "", True),  # soft hyphen inside a word
    ("jeri", "Jos\u00e9 Jer\u00ed", "", "", True),
    ('"Jos\u00e9 Jer\u00ed"', "JOSE JERI ousted", "", "", True),  # accent-insensitive both ways
    ('"Jos\u00e9 Jer\u00ed"', "Jose\u0301 Jeri\u0301 ousted", "", "", True),  # NFD
    ("kimchi OR seoul", "Kim visits", "", "", False),
    ("kim_jong_un", "Kimchi prices", "", "", False),
    ('"K-pop"', "K\u2011pop ban", "", "", True),
    ('"K-pop"', "KPOP ban", "", "", False),
    ("=UN", "UN envoy", "", "", True),
    ("=UN", "Kim Jong Un", "", "", False),  # the reason case-sensitive terms exist
    ("UN", "Kim Jong Un", "", "", True),  # without '=' the word is case-insensitive
    ("un", "The UN envoy", "", "", True),  # actor whose name "=UN" is case-sensitive
    ("un", "Kim Jong Un arrives", "", "", False),
    ("un", "United Nations envoy", "", "", True),
    ("=Kim*", "Kimchi", "", "", True),
    ("=Kim*", "KIMCHI", "", "", False),
]

FUZZY = [
    ("kim_jong_un", "Kim Jong-eun speaks", True),
    ("kim_jong_un", "Kim Jung Un speaks", True),
    ("kim_jong_un", "Kim Jong Unn speaks", True),
    ("kim_jong_un", "Kim Chong Un speaks", True),  # a declared name
    ("kim_jong_un", "Kim Yo-jong speaks", False),
    ("kim_jong_un", "Kim Jong-nam speaks", False),
    ("kim_jong_un", "Kim Kardashian speaks", False),
    ("kim_jong_un", "Kim Il Sung speaks", False),
    ("kim_jong_un", "Chloe Kim wins gold", False),
    ("tarique_rahman", "Tariq Rahman returns", True),
    ("tarique_rahman", "Tarique Rehman returns", True),
    ("tarique_rahman", "Ziaur Rahman remembered", False),
    ("tarique_rahman", "Tariq Ramadan lectures", False),
    ("russia", "Rusia says", False),  # single-word names are never fuzzy (and this actor is not fuzzy)
]


@pytest.mark.parametrize(("query", "title", "summary", "content", "expected"), GRAMMAR + PROXIMITY + SCOPES + HAZARDS)
def test_matching(query: str, title: str, summary: str, content: str, expected: bool) -> None:
    assert (hit(query, title, summary, content) is not None) is expected


@pytest.mark.parametrize(("query", "title", "expected"), FUZZY)
def test_fuzzy_names(query: str, title: str, expected: bool) -> None:
    assert (hit(query, title) is not None) is expected


def test_fuzzy_threshold_can_be_raised() -> None:
    strict = (ActorSpec("kim_jong_un", ("Kim Jong-un",), fuzzy=95.0),)
    matcher = matcher_for("kim_jong_un", actors=strict)
    assert matcher.match_text("Kim Jong-eun speaks")  # 95.7
    assert not matcher.match_text("Kim Jung Un speaks")  # 90.9


@pytest.mark.parametrize(
    ("fields", "title", "summary", "content", "expected"),
    [
        (("title", "summary"), "OpenAI model", "", "A lawsuit was filed", True),  # NOT sees searched fields only
        (("title", "summary"), "OpenAI model", "A lawsuit was filed", "", False),
        (("title", "summary"), "", "", "OpenAI lawsuit-free", False),  # the name only in content
        (None, "OpenAI model", "", "A lawsuit was filed", False),
    ],
)
def test_not_looks_only_at_searched_fields(
    fields: tuple[str, ...] | None, title: str, summary: str, content: str, expected: bool
) -> None:
    assert (hit("OpenAI AND NOT lawsuit*", title, summary, content, fields=fields) is not None) is expected


def test_hit_quotes_the_story_words_in_order_once() -> None:
    found = hit(
        "kim_jong_un AND (russia OR treaty)",
        "Russia and KIM JONG UN",
        "Kim Jong-un met Russia\u2019s minister about the treaty; Kim Jong-un left.",
    )
    assert found == Hit("w", ("Russia", "KIM JONG UN", "Kim Jong-un", "treaty"), None)


def test_hit_terms_leave_out_not_and_false_branches() -> None:
    found = hit("summit AND (moscow OR paris) AND NOT rome", "Summit in Moscow", "Berlin next")
    assert found is not None and found.terms == ("Summit", "Moscow")


def test_fuzzy_hit_quotes_the_spelling_found() -> None:
    found = hit("kim_jong_un", "Kim Jung Un speaks")
    assert found is not None and found.terms == ("Kim Jung Un",)


def test_seed_story() -> None:
    entry = RawEntry(
        guid="seed-1",
        link="https://example.org/kcna-kim-russia",
        title="N. Korea's Kim urges extensive promotion of relations with Russia: KCNA",
        summary=(
            "<p>North Korean leader <b>Kim Jong-un</b> met Russia&#8217;s natural resources minister in "
            "Pyongyang and urged both sides to carry out the new treaty, state media KCNA said.</p>"
        ),
        content=None,
        published=NOW,
    )
    story = normalize_entry(entry, feed_url="https://feeds.example.org/asia", source="Asia Wire", now=NOW)
    hits = matcher_for("kim_jong_un AND (russia OR treaty)").match(story)
    assert hits == (Hit("w", ("Russia", "Kim Jong-un", "treaty"), None),)


def test_hits_sorted_by_name_with_destinations() -> None:
    matcher = compile_matcher(
        ACTORS,
        [
            WatchlistSpec("zeta", "treaty", destinations=("desk",)),
            WatchlistSpec("alpha", "russia"),
            WatchlistSpec("mid", "pact"),
        ],
    )
    hits = matcher.match_text("Moscow treaty")
    assert [(h.watchlist, h.destinations) for h in hits] == [("alpha", None), ("zeta", ("desk",))]
    assert [w.name for w in matcher.watchlists] == ["zeta", "alpha", "mid"]  # as declared


def test_matcher_is_immutable() -> None:
    matcher = matcher_for("treaty")
    with pytest.raises(dataclasses.FrozenInstanceError):
        matcher.watchlists = ()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("watchlists", "actors", "messages"),
    [
        ([WatchlistSpec("w", "NOT treaty")], (), ["none of its terms"]),
        ([WatchlistSpec("w", "a OR NOT b")], (), ["none of its terms"]),
        ([WatchlistSpec("w", "content:x", ("title",))], (), ["content: is not among the fields"]),
        ([WatchlistSpec("w", "a*b")], (), ["wildcard"]),
        ([WatchlistSpec("w", "a AND &&")], (), ["no letters or digits"]),
        ([WatchlistSpec("w", "a"), WatchlistSpec("w", "b")], (), ["duplicate watchlist name 'w'"]),
        ([], (ActorSpec("x", ()),), ["actor 'x' has no names"]),
        ([], (ActorSpec("x", ("--",)),), ["no letters or digits"]),
        ([], (ActorSpec("x", ("a",)), ActorSpec("x", ("b",))), ["already declared"]),
        ([], (ActorSpec("two words", ("a",)),), ["actor id"]),
        (
            [WatchlistSpec("w1", "(a"), WatchlistSpec("w2", "a NEAR b")],
            (ActorSpec("x", ()),),
            ["has no names", "unclosed parenthesis", "NEAR needs a distance"],
        ),
    ],
)
def test_compile_problems_are_all_collected(
    watchlists: list[WatchlistSpec], actors: tuple[ActorSpec, ...], messages: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        compile_matcher(actors, watchlists)
    assert len(caught.value.problems) == len(messages)
    for problem, message in zip(caught.value.problems, messages, strict=True):
        assert message in problem.message


def test_query_problem_without_a_file_points_into_the_query() -> None:
    with pytest.raises(ConfigError) as caught:
        compile_matcher((), [WatchlistSpec("w", "a AND ()")])
    problem = caught.value.problems[0]
    assert problem.column == 7
    assert problem.excerpt == "    a AND ()\n          ^"


def test_only_triggered_watchlists_are_evaluated_yet_nothing_is_missed() -> None:
    """Against an oracle that evaluates every watchlist on every story."""
    rng = random.Random(7)
    vocabulary = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa"]
    actors = (ActorSpec("greek", ("Alpha Beta", "Omega")), ActorSpec("latin", ("Lorem*", "Ipsum")))

    def operand() -> str:
        return rng.choice([*vocabulary, "greek", "latin", "gam*", '"beta gamma"', "title:delta"])

    def query(depth: int = 0) -> str:
        if depth > 2 or rng.random() < 0.3:
            return operand()
        op = rng.choice(["AND", "OR", "AND NOT", "NEAR/2"])
        right = operand() if op == "NEAR/2" else query(depth + 1)
        left = operand() if op == "NEAR/2" else query(depth + 1)
        return f"({left} {op} {right})"

    specs, problems = [], 0
    for i in range(300):
        spec = WatchlistSpec(f"w{i:03d}", query())
        try:
            compile_matcher(actors, [spec])
        except ConfigError:
            problems += 1  # e.g. a query that only says NOT
            continue
        specs.append(spec)
    matcher = compile_matcher(actors, specs)
    words = [*vocabulary, "lorem", "loremipsum", "ipsum", "zeta", "eta"]
    for _ in range(300):
        fields = [" ".join(rng.choices(words, k=rng.randint(0, 8))) for _ in range(3)]
        scanned = [scan(f) for f in fields]
        found = matcher.index.find(scanned)
        oracle = [c.info.name for c in matcher.compiled if evaluate(c.rule, found) is not None]
        assert [h.watchlist for h in matcher.match_words(scanned)] == oracle
    assert problems < 100
