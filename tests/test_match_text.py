"""The matcher's word folding: every normalization hazard, and offsets back into the original text."""

from __future__ import annotations

import pytest

from monitor.match.text import Token, fold_cased, normalize, tokens
from monitor.normalize import html_to_text


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Kim Jong-un", "kim jong un"),
        ("KIM JONG UN", "kim jong un"),
        ("Kim Jong\u2010un", "kim jong un"),  # U+2010 hyphen
        ("Kim Jong\u2011un", "kim jong un"),  # non-breaking hyphen
        ("Kim Jong\u2013un", "kim jong un"),  # en dash
        ("Kim Jong\u2014un", "kim jong un"),  # em dash
        ("Kim\u00a0Jong\u00a0Un", "kim jong un"),  # NBSP
        ("Kim\u202fJong Un", "kim jong un"),  # narrow NBSP
        ("Deep\u00adSeek", "deepseek"),  # soft hyphen inside a word is deleted
        ("Deep\u200dSeek", "deepseek"),  # zero-width joiner
        ("Deep\u2060Seek", "deepseek"),  # word joiner
        ("\ufeffRussia", "russia"),  # BOM
        ("Tarique\u200c Rahman", "tarique rahman"),  # ZWNJ next to a space
        ("Jos\u00e9 Jer\u00ed", "jose jeri"),  # accents
        ("Jose\u0301 Jeri\u0301", "jose jeri"),  # decomposed accents (NFD)
        ("JER\u00cd", "jeri"),
        ("\uff2b\uff29\uff2d", "kim"),  # full-width letters (NFKC)
        ("Stra\u00dfe", "strasse"),  # case folding
        ("Russia's", "russia"),  # possessive dropped
        ("Russia\u2019s", "russia"),
        ("Russia\u2018s", "russia"),
        ("Russia\u02bcs", "russia"),
        ("RUSSIA'S", "russia"),
        ("Jer\u00ed's", "jeri"),  # possessive after an accented letter
        ("1990's", "1990 s"),  # not after a letter: kept
        ("it ' s", "it s"),  # not a possessive: a stray apostrophe with spaces
        ("O'Neill", "o neill"),  # apostrophes separate words
        ("K-pop", "k pop"),
        ("U.N.", "u n"),
        ("gold-medal", "gold medal"),
        ("", ""),
        ("  -- ", ""),
    ],
)
def test_folding(text: str, words: str) -> None:
    assert normalize(text) == words


def test_offsets_point_into_the_original_text() -> None:
    text = "N. Korea\u2019s Kim Jong\u2011un, in Moscow"
    found = tokens(text)
    assert [t.text for t in found] == ["n", "korea", "kim", "jong", "un", "in", "moscow"]
    assert [text[t.start : t.end] for t in found] == ["N", "Korea", "Kim", "Jong", "un", "in", "Moscow"]


def test_glue_characters_stay_inside_the_word_they_join() -> None:
    text = "Green\u00adland and Jeri\u0301"
    assert tokens(text) == [Token("greenland", 0, 10), Token("and", 11, 14), Token("jeri", 15, 20)]


@pytest.mark.parametrize(
    ("markup", "words"),
    [
        ("<b>Kim</b> Jong-un", "kim jong un"),
        ("Kim <em>Jong</em>-un", "kim jong un"),
        ("<p>Kim</p><p>Jong-un</p>", "kim jong un"),
        ("Green&shy;land", "greenland"),
        ("Jer&iacute; &amp; Co", "jeri co"),
        ("Kim&nbsp;Jong&#8209;un", "kim jong un"),
        ('<img alt="Kim Jong-un"> photo', "photo"),
        ("<script>Kim()</script>Seoul", "seoul"),
    ],
)
def test_after_html_to_text(markup: str, words: str) -> None:
    assert normalize(html_to_text(markup)) == words


@pytest.mark.parametrize(
    ("surface", "form"), [("UN", "UN"), ("Un", "Un"), ("\uff35\uff2e", "UN"), ("JER\u00cd", "JERI")]
)
def test_fold_cased_keeps_case_only(surface: str, form: str) -> None:
    assert fold_cased(surface) == form
