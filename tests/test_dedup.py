"""The near-duplicate clusterer on a wire story, its copies, and other stories about the same people."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.dedup import PRESETS, Clusterer, DedupConfig
from monitor.errors import ConfigError
from monitor.model import Story

T0 = datetime(2024, 11, 19, 1, 0, tzinfo=UTC)

LEDE = (
    "North Korean leader Kim Jong-un received Russia's natural resources minister Alexander Kozlov in Pyongyang "
    'and called for "more extensive and diversified" cooperation between the two countries, the Korean Central '
    "News Agency (KCNA) said Tuesday."
)
BODY = [
    LEDE,
    "Kozlov is in the North Korean capital at the head of a government delegation for a session of the two "
    "countries' joint commission on trade, economic, scientific and technical cooperation, the state news agency "
    "said.",
    "Kim told the minister that exchanges in many fields had grown closer since he and Russian President Vladimir "
    "Putin signed a comprehensive strategic partnership treaty in Pyongyang in June, according to KCNA.",
    "The leader said the two sides should push ahead with trade and technology projects so that both countries "
    "prosper, and described bilateral ties as having entered a new strategic stage.",
    "The meeting took place at the headquarters of the ruling Workers' Party, and state photos showed Kim seeing "
    "the delegation off at the entrance, a gesture analysts in Seoul read as a sign of how much Pyongyang values "
    "economic help from Moscow.",
    "South Korean officials say the North has sent thousands of troops to Russia to support its war in Ukraine, "
    "and Seoul suspects Pyongyang wants economic and technical rewards in return.",
]
TITLE = "N. Korea's Kim calls for broader ties with Russia in talks with visiting minister"


def story(
    item: str, title: str, summary: str, content: str = "", *, feed: str = "yonhap", at: timedelta = timedelta(0)
) -> Story:
    when = T0 + at
    link = f"https://{feed}.test/news/{item}"
    return Story(item, f"https://{feed}.test/rss", feed, title, summary, content, link, when, when)


ORIGINAL = story("kim-kozlov", TITLE, LEDE, "SEOUL, Nov. 19 (Yonhap) -- " + " ".join(BODY) + " (Yonhap)")

COPIES = {
    "another wire's credit and a new headline": story(
        "ap-1", "Kim Jong-un urges 'more extensive' cooperation with Russia", LEDE,
        "PYONGYANG (AP) - " + " ".join(BODY[:5]) + " Copyright 2024 The Associated Press. All rights reserved.",
        feed="apnews", at=timedelta(minutes=20),
    ),
    "UPDATE 1-, byline, Reuters dateline and sign-off": story(
        "rtr-1", "UPDATE 1-" + TITLE, LEDE,
        "By Jane Doe SEOUL (Reuters) - " + " ".join(BODY) + " (Reporting by Jane Doe; Editing by John Smith)",
        feed="reuters", at=timedelta(minutes=35),
    ),
    "trimmed to three paragraphs under a rewritten headline": story(
        "trim-1", "Kim receives Russian minister Kozlov, hails 'new strategic' ties", LEDE, " ".join(BODY[:3]),
        feed="asiawire", at=timedelta(minutes=50),
    ),
    "summary only, cut with an ellipsis": story(
        "brief-1", "North Korea's Kim meets Russia's Kozlov: KCNA", LEDE[:170] + "…", feed="briefs",
        at=timedelta(hours=1),
    ),
    "a middle paragraph dropped and a footer added": story(
        "drop-1", "Kim tells Kozlov North Korea, Russia ties at 'new strategic stage'", LEDE,
        " ".join(BODY[:2] + BODY[3:]) + " Related: Russian military delegation arrives in Pyongyang",
        feed="peninsula", at=timedelta(hours=2),
    ),
    "re-posted in its own feed under a new id and headline": story(
        "kim-kozlov-2", "(LEAD) Kim urges more extensive cooperation with Russia", LEDE,
        "SEOUL, Nov. 19 (Yonhap) -- " + " ".join(BODY),
        at=timedelta(hours=3),
    ),
}  # fmt: skip

OTHERS = {
    "a missile launch the same day": story(
        "missile", "N. Korea fires ballistic missile into East Sea, JCS says",
        "North Korea fired a short-range ballistic missile into the East Sea on Tuesday, South Korea's Joint "
        "Chiefs of Staff said, hours after state media reported Kim Jong-un's talks with a Russian minister.",
        "North Korea fired a short-range ballistic missile into the East Sea on Tuesday, South Korea's Joint "
        "Chiefs of Staff said, hours after state media reported Kim Jong-un's talks with a Russian minister. The "
        "missile flew about 400 kilometers before splashing down, the JCS said, adding that it was analysing the "
        "launch with the United States and Japan. The launch came as Pyongyang deepens military ties with Moscow "
        "under the partnership treaty Kim and Putin signed in June.",
        feed="koreaherald", at=timedelta(hours=4),
    ),
    "Russia's reaction": story(
        "kremlin", "Kremlin welcomes Kim's call for wider cooperation with Russia",
        "The Kremlin on Tuesday welcomed North Korean leader Kim Jong-un's call for \"more extensive and "
        "diversified\" cooperation, saying Moscow was ready to expand trade with Pyongyang.",
        "The Kremlin on Tuesday welcomed North Korean leader Kim Jong-un's call for \"more extensive and "
        "diversified\" cooperation, saying Moscow was ready to expand trade with Pyongyang. Spokesman Dmitry Peskov "
        "told reporters that minister Alexander Kozlov's visit showed that the treaty signed in June was already "
        "bearing fruit, and that new agreements on trade and science would follow.",
        feed="tass", at=timedelta(hours=5),
    ),
    "an analysis of the meeting": story(
        "analysis", "Analysis: What Pyongyang wants from Moscow's resources minister",
        "Kim Jong-un's warm welcome for Russia's natural resources minister says as much about the North's "
        "economic needs as about its alliance with Moscow, analysts say.",
        "Kim Jong-un's warm welcome for Russia's natural resources minister says as much about the North's "
        "economic needs as about its alliance with Moscow, analysts say. Kozlov's delegation came to Pyongyang for "
        "a joint commission on trade and science, but experts in Seoul see the visit as part of a bargain: troops "
        "and shells for Russia's war in exchange for food, fuel and technology. Kim's call for more extensive and "
        "diversified cooperation, they say, is a request for payment.",
        feed="nknews", at=timedelta(hours=6),
    ),
    "a roundup quoting the lede": story(
        "briefs", "North Korea briefs", "Developments on the Korean Peninsula in brief.",
        "Developments on the Korean Peninsula in brief. PYONGYANG: " + LEDE + " SEOUL: South Korea's spy agency "
        "said North Korean troops have been deployed to front-line areas in Russia's Kursk region.",
        feed="observer", at=timedelta(hours=7),
    ),
    "the next day's follow-up reusing a background paragraph": story(
        "protocol", "N. Korea, Russia sign trade protocol as Kozlov wraps up visit",
        "North Korea and Russia signed a protocol on trade, economic and scientific cooperation on Wednesday at "
        "the end of a joint commission meeting in Pyongyang, state media said.",
        "North Korea and Russia signed a protocol on trade, economic and scientific cooperation on Wednesday at "
        "the end of a joint commission meeting in Pyongyang, state media said. The document was signed by Russian "
        "natural resources minister Alexander Kozlov and North Korea's external economic relations minister Yun "
        "Jong-ho, KCNA said, without giving details of its contents. The two sides also discussed tourism, "
        "fisheries and direct flights between Pyongyang and Moscow. " + BODY[2],
        feed="yonhap", at=timedelta(hours=26),
    ),
}  # fmt: skip


@pytest.fixture
def clusterer() -> Clusterer:
    return Clusterer(DedupConfig())


def test_the_first_story_starts_its_cluster(clusterer: Clusterer) -> None:
    first = clusterer.add(ORIGINAL)
    assert (first.cluster, first.duplicate_of) == (ORIGINAL.key, None)
    assert len(clusterer) == 1


@pytest.mark.parametrize("name", COPIES)
def test_each_copy_joins_the_original(clusterer: Clusterer, name: str) -> None:
    clusterer.add(ORIGINAL)
    joined = clusterer.add(COPIES[name])
    assert (joined.cluster, joined.duplicate_of) == (ORIGINAL.key, ORIGINAL.key), joined.reason


def test_all_copies_in_turn_make_one_cluster(clusterer: Clusterer) -> None:
    clusterer.add(ORIGINAL)
    assert {clusterer.add(copy).cluster for copy in COPIES.values()} == {ORIGINAL.key}


@pytest.mark.parametrize("name", OTHERS)
def test_other_stories_about_the_same_people_stay_apart(clusterer: Clusterer, name: str) -> None:
    for copy in [ORIGINAL, *COPIES.values()]:
        clusterer.add(copy)
    other = clusterer.add(OTHERS[name])
    assert (other.cluster, other.duplicate_of) == (OTHERS[name].key, None), other.reason


def test_the_other_stories_stay_apart_from_each_other(clusterer: Clusterer) -> None:
    assignments = [clusterer.add(other) for other in OTHERS.values()]
    assert all(a.duplicate_of is None for a in assignments)


def test_a_digest_of_two_earlier_stories_is_neither_of_them(clusterer: Clusterer) -> None:
    missile = OTHERS["a missile launch the same day"].summary
    kim = clusterer.add(story("b1", "Kim meets Russian minister Kozlov", LEDE, feed="briefs"))
    clusterer.add(story("b2", "N. Korea fires missile", missile, feed="briefs", at=timedelta(hours=4)))
    digest = story(
        "digest", "Peninsula today", "Two developments from the Korean Peninsula.",
        f"Two developments from the Korean Peninsula. In Pyongyang, {LEDE} Meanwhile, {missile}",
        feed="daily", at=timedelta(hours=8),
    )  # fmt: skip
    held = clusterer.add(digest)
    assert held.duplicate_of is None and "roundup" in held.reason
    later = clusterer.add(story("b3", "Kim urges broader ties with Russia", LEDE, feed="wire", at=timedelta(hours=9)))
    assert later.duplicate_of == kim.cluster


def test_a_restored_digest_still_takes_no_copies() -> None:
    missile = OTHERS["a missile launch the same day"].summary
    digest = story("digest", "Peninsula today", "Two developments.", f"In Pyongyang, {LEDE} Meanwhile, {missile}",
                   feed="daily", at=timedelta(hours=8))  # fmt: skip
    briefs = [story("b1", "Kim meets Russian minister Kozlov", LEDE, feed="briefs"),
              story("b2", "N. Korea fires missile", missile, feed="briefs", at=timedelta(hours=4))]  # fmt: skip
    before = Clusterer(DedupConfig())
    stored = [(s, before.add(s).cluster) for s in [*briefs, digest]]
    after = Clusterer(DedupConfig())
    for s, cluster in stored:
        after.restore(s, cluster)
    later = after.add(story("b3", "Kim urges broader ties with Russia", LEDE, feed="wire", at=timedelta(hours=9)))
    assert later.cluster == briefs[0].key


def test_a_summary_only_item_first_then_the_full_text_joins_it(clusterer: Clusterer) -> None:
    brief = COPIES["summary only, cut with an ellipsis"]
    clusterer.add(replace(brief, fetched_at=T0))
    joined = clusterer.add(replace(ORIGINAL, fetched_at=T0 + timedelta(minutes=5)))
    assert joined.duplicate_of == brief.key


def test_one_sentence_items_need_their_headlines_to_agree(clusterer: Clusterer) -> None:
    notice = "Subscribe to our newsletter for the latest news from the Korean Peninsula and beyond, every morning."
    clusterer.add(story("a", "Kim meets Russian minister", notice, feed="portal"))
    other = clusterer.add(story("b", "Seoul stocks close higher on chip rally", notice, feed="portal"))
    assert other.duplicate_of is None, other.reason


def test_the_same_link_joins_whatever_the_text(clusterer: Clusterer) -> None:
    clusterer.add(ORIGINAL)
    updated = replace(ORIGINAL, id="guid-2", title="Kim, Kozlov discuss trade", summary="Updated.", content="")
    joined = clusterer.add(updated)
    assert (joined.duplicate_of, joined.reason) == (ORIGINAL.key, "same article link")


def test_the_same_headline_and_summary_join_without_links(clusterer: Clusterer) -> None:
    clusterer.add(replace(ORIGINAL, link=""))
    joined = clusterer.add(replace(ORIGINAL, id="other", feed_url="https://mirror.test/rss", link="", content=""))
    assert (joined.duplicate_of, joined.reason) == (ORIGINAL.key, "same headline and summary")


def test_a_front_page_link_is_no_identity(clusterer: Clusterer) -> None:
    missile, kremlin = OTHERS["a missile launch the same day"], OTHERS["Russia's reaction"]
    clusterer.add(replace(missile, link="https://www.portal.test/"))
    assert clusterer.add(replace(kremlin, link="https://portal.test")).duplicate_of is None


def test_a_copy_after_the_window_starts_a_new_cluster() -> None:
    clusterer = Clusterer(DedupConfig(window=timedelta(hours=72)))
    clusterer.add(ORIGINAL)
    late = COPIES["another wire's credit and a new headline"]
    late = replace(late, fetched_at=T0 + timedelta(hours=73))
    assert clusterer.add(late).duplicate_of is None
    assert len(clusterer) == 1  # the original has left the window


def test_the_window_is_configurable() -> None:
    clusterer = Clusterer(DedupConfig(window=timedelta(hours=1)))
    clusterer.add(ORIGINAL)
    assert clusterer.add(COPIES["trimmed to three paragraphs under a rewritten headline"]).duplicate_of is not None
    assert clusterer.add(COPIES["a middle paragraph dropped and a footer added"]).duplicate_of is None


def test_memory_is_bounded_by_the_window() -> None:
    clusterer = Clusterer(DedupConfig(window=timedelta(hours=1)))
    for n in range(3_000):
        when = T0 + timedelta(minutes=n)
        clusterer.add(replace(OTHERS["an analysis of the meeting"], id=str(n), summary=f"Item {n}: {LEDE}",
                              link=f"https://x.test/{n}", fetched_at=when))  # fmt: skip
    assert len(clusterer) == 61


def test_restore_rebuilds_the_window_and_a_new_copy_joins_the_restored_cluster() -> None:
    before = Clusterer(DedupConfig())
    stored = [(s, before.add(s).cluster) for s in (ORIGINAL, COPIES["summary only, cut with an ellipsis"])]
    after = Clusterer(DedupConfig())
    for s, cluster in stored:
        after.restore(s, cluster)
    assert len(after) == 2
    joined = after.add(COPIES["UPDATE 1-, byline, Reuters dateline and sign-off"])
    assert (joined.cluster, joined.duplicate_of) == (ORIGINAL.key, ORIGINAL.key)


def test_restore_keeps_the_stored_decision() -> None:
    clusterer = Clusterer(DedupConfig())
    clusterer.restore(ORIGINAL, "stored-cluster")
    assert clusterer.add(COPIES["trimmed to three paragraphs under a rewritten headline"]).cluster == "stored-cluster"


def test_restore_skips_stories_older_than_the_window() -> None:
    clusterer = Clusterer(DedupConfig())
    clusterer.restore(replace(ORIGINAL, id="late", fetched_at=T0 + timedelta(hours=100)), "late")
    clusterer.restore(ORIGINAL, ORIGINAL.key)
    assert len(clusterer) == 1


def test_switched_off_only_exact_identity_joins() -> None:
    clusterer = Clusterer(DedupConfig(enabled=False))
    clusterer.add(ORIGINAL)
    assert clusterer.add(COPIES["trimmed to three paragraphs under a rewritten headline"]).duplicate_of is None
    assert clusterer.add(replace(ORIGINAL, id="again")).duplicate_of == ORIGINAL.key


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_joins_a_plain_copy_and_keeps_a_follow_up_apart(preset: str) -> None:
    clusterer = Clusterer(DedupConfig(preset=preset))
    clusterer.add(ORIGINAL)
    assert clusterer.add(COPIES["UPDATE 1-, byline, Reuters dateline and sign-off"]).duplicate_of == ORIGINAL.key
    follow_up = OTHERS["the next day's follow-up reusing a background paragraph"]
    assert clusterer.add(follow_up).duplicate_of is None


def test_a_bad_config_says_which_field() -> None:
    with pytest.raises(ConfigError) as caught:
        DedupConfig(preset="aggressive", window=timedelta(0))
    fields = {problem.field for problem in caught.value.problems}
    assert fields == {"dedup.preset", "dedup.window"}
    assert "default, loose, strict" in str(caught.value)
