"""The XML entity guard: dangerous documents are refused fast and with flat memory; small entities work."""

from __future__ import annotations

import tracemalloc

import pytest

from monitor.errors import FeedError
from monitor.parse import parse_feed
from monitor.parse.guard import MAX_EXPANSION, check_entities

URL = "https://t.example/feed"


def _rss(doctype: str, title: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n{doctype}\n<rss version="2.0"><channel><title>T</title>'
        f"<item><guid>g</guid><title>{title}</title></item></channel></rss>"
    ).encode()


def _billion_laughs() -> bytes:
    lines = ['<!ENTITY lol "lol">']
    lines += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">'.replace("&lol0;", "&lol;") for i in range(1, 10)]
    return _rss("<!DOCTYPE rss [\n" + "\n".join(lines) + "\n]>", "&lol9;")


def _quadratic() -> bytes:
    # A 50 KB entity used 5,000 times: a 65 KB document that would expand to 250 MB.
    return _rss(f'<!DOCTYPE rss [\n<!ENTITY a "{"A" * 50_000}">\n]>', "&a" * 5_000)  # `;` optional


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (_billion_laughs(), "nested deeper"),
        (_quadratic(), "expand to over"),
        (_rss('<!DOCTYPE rss [\n<!ENTITY x SYSTEM "file:///etc/passwd">\n]>', "&x;"), "external entity"),
        (_rss('<!DOCTYPE rss [\n<!ENTITY x PUBLIC "-//X//EN" "http://evil.test/x">\n]>', "&x;"), "external"),
        (_rss('<!DOCTYPE rss [\n<!ENTITY % p "<!ENTITY x \'y\'>">\n%p;\n]>', "&x;"), "parameter entity"),
        (_rss('<!DOCTYPE rss [\n<!ENTITY a "&b;">\n<!ENTITY b "&a;">\n]>', "&a;"), "references itself"),
        (_rss("<!DOCTYPE rss [\n<!ENTITY broken>\n]>", "x"), "malformed entity"),
    ],
    ids=["billion-laughs", "quadratic", "system", "public", "parameter", "recursive", "malformed"],
)
def test_dangerous_documents_are_refused(body: bytes, reason: str) -> None:
    with pytest.raises(FeedError, match=f"dangerous XML: .*{reason}"):
        parse_feed(body, url=URL)


@pytest.mark.parametrize("body", [_billion_laughs(), _quadratic()], ids=["billion-laughs", "quadratic"])
def test_refused_with_flat_memory(body: bytes) -> None:
    # Expanded, these would be 3 GB and 250 MB; refusing them costs a few copies of the document at most.
    tracemalloc.start()
    try:
        with pytest.raises(FeedError):
            parse_feed(body, url=URL)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * len(body) + 1_000_000


def test_billion_laughs_in_utf16_is_refused() -> None:
    body = _billion_laughs().decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-16"?>')
    with pytest.raises(FeedError, match="dangerous XML"):
        parse_feed(body.encode("utf-16"), url=URL)


def test_declaration_hidden_in_another_value_or_a_comment_still_counts() -> None:
    big = "B" * 20_000
    hidden_in_value = f"<!DOCTYPE rss [ <!ENTITY a '\n<!ENTITY big \"{big}\">\n'>\n]>"
    hidden_in_comment = f'<!-- \n<!ENTITY big "{big}">\n -->\n<!DOCTYPE rss [ ]>'
    for doctype in (hidden_in_value, hidden_in_comment):
        with pytest.raises(FeedError, match="dangerous XML"):
            parse_feed(_rss(doctype, "&big;" * 100), url=URL)


def test_small_entities_real_feeds_use_still_work() -> None:
    doctype = '<!DOCTYPE rss [\n<!ENTITY nbsp "&#160;">\n<!ENTITY mdash "&#8212;">\n<!ENTITY co "Harbour Co">\n]>'
    feed = parse_feed(_rss(doctype, "Tallinn&nbsp;port&mdash;&co; news"), url=URL)
    assert feed.entries[0].title == "Tallinn\xa0port\u2014Harbour Co news"


def test_external_dtd_on_the_doctype_is_not_an_entity() -> None:
    doctype = '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://x.test/rss-0.91.dtd">'
    assert parse_feed(_rss(doctype, "ok"), url=URL).entries[0].title == "ok"


def test_entity_text_inside_the_body_is_not_a_declaration() -> None:
    # A security blog quoting an XXE payload in CDATA must not be refused.
    title = '<![CDATA[Beware <!ENTITY xxe SYSTEM "file:///etc/passwd">]]>'
    assert parse_feed(_rss("", title), url=URL).entries[0].title is not None


def test_expansion_budget_counts_every_use() -> None:
    value = "x" * 1_000
    uses = MAX_EXPANSION // len(value)
    ok = f'<!DOCTYPE r [<!ENTITY e "{value}">]><r>{"&e;" * uses}</r>'.encode()
    check_entities(ok)
    with pytest.raises(FeedError):
        check_entities(ok.replace(b"</r>", b"&e;&e;</r>"))
