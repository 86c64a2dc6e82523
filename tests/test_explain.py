"""Explanations: what matched where, why a near miss missed, and agreement with Matcher.match everywhere."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.match import ActorSpec, Matcher, WatchlistSpec, compile_matcher, load_watchlists
from monitor.match.explain import Explainer, StoryExplanation, WatchlistExplanation
from monitor.model import Story
from monitor.replay import arrivals

NOW = datetime(2026, 2, 18, 12, tzinfo=UTC)
DEV = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "match" / "dev"
ACTORS = (
    ActorSpec("kim_jong_un", ("Kim Jong-un", "Kim Chong-un"), fuzzy=88.0),
    ActorSpec("russia", ("Russia", "Russian*", "Moscow", "Kremlin")),
    ActorSpec("un", ("=UN", "United Nations")),
)
SEED_TITLE = "Kim Jong-un meets Russia's natural resources minister"
SEED_SUMMARY = (
    "North Korean leader Kim Jong-un has met with Russia’s visiting natural resources minister and called for "
    "more extensive cooperation, state media said, citing the new treaty between the countries."
)


def story(title: str, summary: str = "", content: str = "", story_id: str = "s1") -> Story:
    return Story(story_id, "https://wire.test/rss", "Wire", title, summary, content, "", NOW, NOW)


def explain(
    query: str, title: str, summary: str = "", content: str = "", fields: tuple[str, ...] | None = None
) -> WatchlistExplanation:
    matcher = compile_matcher(ACTORS, [WatchlistSpec("w", query, fields)])
    return Explainer.of(matcher).explain(story(title, summary, content)).watchlists[0]


def messages(result: WatchlistExplanation) -> list[str]:
    return [reason.message for reason in result.reasons]


# --- what matched -----------------------------------------------------------------------------------------


def test_seed_story_terms_fields_and_spans() -> None:
    result = explain("kim_jong_un AND (russia OR treaty)", SEED_TITLE, SEED_SUMMARY)
    assert result.status == "match"
    assert result.terms == ("Kim Jong-un", "Russia", "treaty")
    found = {(hit.operand, hit.field, hit.text) for hit in result.hits}
    assert found == {
        ("kim_jong_un", "title", "Kim Jong-un"),
        ("kim_jong_un", "summary", "Kim Jong-un"),
        ("russia", "title", "Russia"),  # the possessive 's is not part of the name
        ("russia", "summary", "Russia"),
        ("treaty", "summary", "treaty"),
    }
    title_spans = [(start, end) for field, start, end in result.spans if field == 0]
    assert [SEED_TITLE[s:e] for s, e in title_spans] == ["Kim Jong-un", "Russia"]
    assert result.reasons == ()


def test_hits_under_near_are_the_paired_words_and_the_distance_is_noted() -> None:
    title = "Treaty talks ran late into the night; Kim Jong-un says the treaty with Moscow holds"
    result = explain("kim_jong_un NEAR/2 treaty", title)
    assert result.status == "match"
    paired = title.index("the treaty") + 4
    assert [(h.text, h.start) for h in result.hits if h.operand == "treaty"] == [("treaty", paired)]
    assert result.notes == ("kim_jong_un NEAR/2 treaty: 2 words apart in title",)


def test_not_contributes_no_terms() -> None:
    result = explain("kim_jong_un AND NOT lawsuit*", SEED_TITLE)
    assert result.status == "match"
    assert {hit.operand for hit in result.hits} == {"kim_jong_un"}


# --- why not ----------------------------------------------------------------------------------------------


def test_not_that_fired() -> None:
    result = explain("kim_jong_un AND NOT lawsuit*", SEED_TITLE, "A lawsuit was filed in Seoul.")
    assert result.status == "near_miss"
    assert messages(result) == ["excluded by NOT lawsuit* (summary: 'lawsuit')"]
    assert result.reasons[0].kind == "not" and result.reasons[0].found == ("lawsuit",)


def test_near_too_far_gives_the_word_gap() -> None:
    title = "Kim Jong-un said on Monday that the new bilateral treaty holds"
    result = explain("kim_jong_un NEAR/5 treaty", title)
    assert result.status == "near_miss"
    assert messages(result) == ["NEAR/5: 7 words apart in title"]
    assert result.reasons[0].gap == 7


def test_near_across_fields() -> None:
    result = explain("kim_jong_un NEAR/5 treaty", SEED_TITLE, "The treaty holds.")
    assert messages(result) == ["NEAR/5: never in the same field (kim_jong_un in title; treaty in summary)"]


def test_scoped_term_found_only_in_another_field() -> None:
    result = explain("title:Olympic* AND russia", "Russia banned again", "The Olympic committee met.")
    assert result.status == "near_miss"
    assert messages(result) == ["title:Olympic* — found only in summary"]
    assert result.reasons[0].kind == "scope" and result.reasons[0].found == ("Olympic",)


def test_term_only_in_a_field_the_watchlist_does_not_search() -> None:
    result = explain("kim_jong_un AND treaty", SEED_TITLE, "The treaty holds.", fields=("title",))
    assert messages(result) == ["treaty — found only in summary (searched: title)"]


def test_unmet_and_operand() -> None:
    result = explain("kim_jong_un AND (sanction* OR embargo)", SEED_TITLE, SEED_SUMMARY)
    assert result.status == "near_miss"
    assert messages(result) == ["missing: (sanction* OR embargo)"]
    assert explain("kim_jong_un AND sanction*", SEED_TITLE).reasons[0].operand == "sanction*"


def test_fuzzy_candidate_below_threshold() -> None:
    result = explain("kim_jong_un", "Kim Jong-nam was seen in Macau")
    assert result.status == "near_miss"
    assert messages(result) == ["fuzzy: 'Kim Jong-nam' scored 87.0 < 88 against 'kim jong un' (title)"]
    assert result.reasons[0].score == pytest.approx(86.96, abs=0.01)


def test_fuzzy_candidate_failing_on_one_word() -> None:
    # "Kim Jong-u" is close as a whole name, but "u" against "un" is below the per-word similarity.
    result = explain("kim_jong_un", "Kim Jong u was seen")
    assert result.status == "near_miss"
    assert messages(result)[0].endswith("but 'u' vs 'un' scored 66.7 < 70")


def test_a_word_shared_with_a_name_is_not_a_near_miss() -> None:
    assert explain("kim_jong_un", "Kim Kardashian was seen").status == "no_match"


def test_no_term_present_is_no_match() -> None:
    result = explain("bitcoin AND NOT russia", SEED_TITLE)
    assert result.status == "no_match"  # only an excluded term is present: nothing it looks for


# --- agreement with the matcher ---------------------------------------------------------------------------

NAMES = ["Kim Jong-un", "Kim Jong Un", "KIM JONG–UN", "Kim Jong-nam", "Kim Jung Un", "Kim Chong-un", "Kim"]
WORDS = [
    "Russia",
    "Russia's",
    "Russians",
    "Prussia",
    "Moscow",
    "treaty",
    "treaties",
    "UN",
    "Un",
    "United Nations",
    "sanctions",
    "sanction",
    "Olympic",
    "Olympics",
    "lawsuit",
    "trial",
    "prime minister",
    "pact",
    "summit",
]
FILLER = ["the", "a", "said", "on", "Monday", "in", "talks", "with", "new", "leader", "visit", "after", "of"]
TERMS = [
    "kim_jong_un",
    "russia",
    "un",
    "treaty",
    "sanction*",
    "Olympic*",
    '"prime minister"',
    "=UN",
    "pact",
    "summit",
    "lawsuit*",
    "trial",
    "Russia",
    '="United Nations"',
]


def _text(rng: random.Random, size: int) -> str:
    pool = [*FILLER, *FILLER, *WORDS, *NAMES]
    return " ".join(rng.choice(pool) for _ in range(size))


def _query(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 2 or roll < 0.35:
        term = rng.choice(TERMS)
        return f"{rng.choice(['title', 'summary', 'content'])}:{term}" if rng.random() < 0.15 else term
    if roll < 0.55:
        return " AND ".join(_query(rng, depth + 1) for _ in range(rng.randint(2, 3)))
    if roll < 0.75:
        return "(" + " OR ".join(_query(rng, depth + 1) for _ in range(rng.randint(2, 3))) + ")"
    if roll < 0.85:
        return f"{_query(rng, depth + 1)} AND NOT {rng.choice(TERMS)}"
    sides = [
        rng.choice(TERMS) if rng.random() < 0.7 else f"({rng.choice(TERMS)} OR {rng.choice(TERMS)})" for _ in range(2)
    ]
    return f"{sides[0]} NEAR/{rng.randint(0, 6)} {sides[1]}"


def _watchlists(rng: random.Random, count: int) -> list[WatchlistSpec]:
    out: list[WatchlistSpec] = []
    while len(out) < count:
        fields = rng.choice([None, None, None, ("title",), ("title", "summary"), ("summary", "content")])
        spec = WatchlistSpec(f"w{len(out):03d}", _query(rng), fields)
        try:
            compile_matcher(ACTORS, [spec])
        except ConfigError:
            continue  # e.g. a scope outside the watchlist's fields
        out.append(spec)
    return out


def assert_agrees(matcher: Matcher, explainer: Explainer, item: Story) -> StoryExplanation:
    explanation = explainer.explain(item)
    expected = {hit.watchlist: hit.terms for hit in matcher.match(item)}
    got = {w.name: w.terms for w in explanation.watchlists if w.status == "match"}
    assert got == expected, (item.title, item.summary, item.content)
    for watchlist in explanation.watchlists:
        assert (watchlist.status == "match") == (watchlist.reasons == ()), watchlist
    return explanation


def test_agrees_with_the_matcher_on_generated_stories() -> None:
    rng = random.Random(20260218)
    matcher = compile_matcher(ACTORS, _watchlists(rng, 60))
    explainer = Explainer.of(matcher)
    statuses: set[str] = set()
    kinds: set[str] = set()
    for number in range(400):
        item = story(
            _text(rng, rng.randint(2, 12)), _text(rng, rng.randint(0, 30)), _text(rng, rng.randint(0, 40)), f"g{number}"
        )
        explanation = assert_agrees(matcher, explainer, item)
        statuses.update(w.status for w in explanation.watchlists)
        kinds.update(r.kind for w in explanation.watchlists for r in w.reasons)
    assert statuses == {"match", "near_miss", "no_match"}
    assert kinds == {"missing", "scope", "fuzzy", "not", "near"}  # the generator reaches every kind of reason


def test_agrees_with_the_matcher_on_the_dev_set() -> None:
    if not (DEV / "stories.jsonl").is_file():
        pytest.skip(f"{DEV} is absent")
    matcher = load_watchlists(DEV / "watchlists.yaml")
    explainer = Explainer.of(matcher)
    with (DEV / "stories.jsonl").open(encoding="utf-8") as lines:
        for _, item in arrivals(lines, NOW):
            assert_agrees(matcher, explainer, item)
