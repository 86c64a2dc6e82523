"""What a republisher adds to a wire story, taken off before two stories are compared. Pure.

A copy of a wire story differs from the original by decoration, not by report: a version prefix on the
headline ("UPDATE 1-"), a dateline and a byline before the lede, an agency credit, a sign-off and the
outlet's footer after it, an ellipsis where a summary was cut. Each table row below is one such habit.
Cleaning only feeds the comparison; the story itself is never changed.
"""

from __future__ import annotations

import re

# News agencies whose name appears as a credit: "(Yonhap)", "-- AFP", "(Reuters) -".
_AGENCIES = (
    "Yonhap|AP|AFP|Reuters|ANI|IANS|PTI|NAN|CNS|UPI|dpa|DPA|EFE|Kyodo|Xinhua|Bernama|Anadolu|KCNA|ANSA|TASS|"
    "RIA|Interfax|WAM|SPA|APP|UNB|BSS|Lusa|Agencies|WJW"
)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_CAP = r"[A-Z][\w.'’-]*"  # a capitalized word, "B.C." and "N.Y." included
_PLACE = rf"{_CAP}(?:\s+{_CAP}){{0,3}}"  # a city: one to four capitalized words
_NAME = r"[A-Z][a-z'’.-]+(?:\s+[A-Z][a-z'’.-]+){0,3}"  # a person: "Jane Doe", "Laila Bassam"

# Headline prefixes that mark a version or a status of the same story, never another story.
# Labels for another kind of piece (ANALYSIS-, EXPLAINER-, FACTBOX-, "Live:") are kept: they are not copies.
TITLE_PREFIXES: tuple[tuple[str, str], ...] = (
    (r"(?:UPDATE|WRAPUP)\s*\d*\s*[-:]\s*", "Reuters version markers: UPDATE 1-, WRAPUP 2-"),
    (r"(?:REFILE|CORRECTED|CORRECTION|RPT|REPEAT)\s*[-:]\s*", "Reuters re-issues of the same story"),
    (r"(?:EXCLUSIVE|Exclusive)\s*[-:]\s*", "a scoop label; the copy carries the same report"),
    (r"(?:BREAKING|Breaking|URGENT|Urgent|FLASH)(?:\s+NEWS|\s+News)?\s*[-:|]\s*", "breaking-news labels"),
    (r"\((?:\d+(?:ST|ND|RD|TH)\s+)?LEAD\)\s*", "Yonhap rewrites: (LEAD), (2ND LEAD)"),
    (r"\((?:URGENT|UPDATE|UPDATED|CORRECTED|EXCLUSIVE|BREAKING)\)\s*", "status labels in parentheses"),
)

# Headline suffixes naming the outlet: "... - News Today", "... | AP News".
TITLE_SUFFIXES: tuple[tuple[str, str], ...] = (
    (r"\s+[|–—-]\s+[A-Z][\w.&' ]{1,30}$", "the outlet's name after a bar or a spaced dash"),
)

# What may precede the lede, tried in this order at the start of a summary or a content (each at most once).
LEADS: tuple[tuple[str, str], ...] = (
    (r"\[[^\]]{1,40}\]\s*", "an aggregator's source tag: [Capital FM]"),
    (
        rf"By\s+{_NAME}(?:(?:\s*,\s*|\s+and\s+|\s*&\s*){_NAME}){{0,3}}"
        rf"(?=\s*\n|\s+[-–—|]\s|\s*[A-Z]{{2,}}\b)\s*[-–—|]?\s*",
        "a byline, when a line break, a separator or an upper-case dateline follows it: By Jane Doe",
    ),
    (
        rf"{_PLACE}(?:\s*\([A-Z][\w .]{{1,30}}\))?(?:,\s*{_PLACE})?(?:\s*\[{_PLACE}\])?(?:,?\s+{_MONTH}\s+\d{{1,2}})?"
        rf"\s*\((?:{_AGENCIES})\)\s*(?:--|—|–|-|:)?\s*",
        "a dateline with an agency credit: SEOUL, Nov. 19 (Yonhap) --; Agra, Jan 1 (IANS)",
    ),
    (
        rf"{_PLACE}(?:,\s*{_PLACE})?(?:\s*\[{_PLACE}\])?(?:,?\s+{_MONTH}\s+\d{{1,2}})?\s*(?:--|—|–|:|\s-)\s+",
        "a dateline without a credit: BEIJING —, VANCOUVER --, New Delhi:",
    ),
)

# Credits and notes removed wherever they appear.
INLINE: tuple[tuple[str, str], ...] = (
    (rf"\(\s*(?:{_AGENCIES})\s*\)", "an agency credit in parentheses: (Yonhap)"),
    (r"\((?:\w+\s+)?(?:reporting|writing|editing|compiled) by[^)]*\)", "a Reuters sign-off: (Reporting by …)"),
    (r"\(END\)", "Yonhap's end mark"),
    (r"\(\s*\$\s*1\s*=[^)]*\)", "a currency note: ($1 = 8.02 patacas)"),
    (r"\((?:photo|image|file photo|representational)[^)]*\)", "photo credits: (Photo by …)"),
)

# What may follow the story, tried repeatedly at its end (each pattern alone: an alternation of them all would
# be tried at every position of the text, ten times slower).
TAILS: tuple[tuple[str, str], ...] = (
    (rf"[-–—]{{1,2}}\s*(?:{_AGENCIES})\b[\w/ ]{{0,20}}$", "a wire sign-off: -- AFP, - Reuters, --IANS up/udk/"),
    (r"(?:Reporting|Writing|Additional reporting) by [^.]{1,200}$", "a Reuters sign-off without parentheses"),
    (r"(?:Related|Read more|Read the full story|READ MORE|Also read|See also|More)\s*:.{0,200}$", "a link elsewhere"),
    (r"Read (?:more|the full story) at [^.]{1,60}\.?$", "a pointer to the source"),
    (r"This (?:article|story) (?:first |originally )?appeared (?:on|in) [^.]{1,60}\.?$", "a syndication credit"),
    (r"The post .{1,300}? appeared first on .{1,60}$", "a syndication footer: The post … appeared first on …"),
    (r"With files from [^.]{1,80}\.?$", "a Canadian-press credit"),
    (r"Have a news tip\?.{0,120}$", "a newsroom appeal"),
    (r"(?:©|Copyright|\(c\)).{0,160}$", "a copyright line"),
    (r"All rights reserved\.?$", "a rights line"),
)
# House styles differ on dotted abbreviations: "U.S." and "US", "U.N." and "UN" read alike.
_DOTTED = re.compile(r"\b([A-Za-z])\.(?=[A-Za-z]\.)")
_MAYBE_DOTTED = re.compile(r"\.(?=[A-Za-z]\.)")  # a quick test first: the full pattern is slow to scan
# A summary cut mid-sentence ends with an ellipsis; the word before it may be cut short too.
_CUT = re.compile(r"(?:…|\.\.\.|\[…\]|\[\.\.\.\]|&hellip;)$")
_TAIL_REACH = 500  # every tail above is shorter: search only the end of the text

_TITLE_PREFIX = re.compile("^(?:" + "|".join(p for p, _ in TITLE_PREFIXES) + ")+")
_TITLE_SUFFIX = re.compile("|".join(p for p, _ in TITLE_SUFFIXES))
_LEADS = tuple(re.compile(p) for p, _ in LEADS)
_INLINE = re.compile("|".join(p for p, _ in INLINE), re.IGNORECASE)
_TAILS = tuple(re.compile(p) for p, _ in TAILS)
_MAX_LEAD = 90  # a dateline and a byline together are short; a longer match is a sentence, not decoration
_PARTIAL = re.compile(r"\s*\S*$")


def clean_title(title: str) -> str:
    """The headline without version/status prefixes and without the outlet's name."""
    text = _TITLE_PREFIX.sub("", _undot(title.strip()))
    return _TITLE_SUFFIX.sub("", text) or text


def clean_body(text: str) -> str:
    """A summary or a content without dateline, byline, credits, sign-offs and footers."""
    text = _undot(_INLINE.sub(" ", _strip_leads(text.strip()))).rstrip()
    cut = False
    while text:
        found = _CUT.search(text, max(0, len(text) - 8))
        if found:
            cut = True
        else:
            start = max(0, len(text) - _TAIL_REACH)
            found = next(filter(None, (tail.search(text, start) for tail in _TAILS)), None)
            if not found:
                break
        text = text[: found.start()].rstrip()
    if cut:  # the word before an ellipsis may be cut short: "the …" is fine, "econo…" is not a word
        text = _PARTIAL.sub("", text)
    return text.strip()


def _undot(text: str) -> str:
    return _DOTTED.sub(r"\1", text) if _MAYBE_DOTTED.search(text) else text


def _strip_leads(text: str) -> str:
    start = 0
    for lead in _LEADS:
        found = lead.match(text, start)
        if found and found.end() <= _MAX_LEAD:
            start = found.end()
    return text[start:]
