"""The query parser: every grammar feature, precedence, and errors that point at the bad spot."""

from __future__ import annotations

import pytest

from monitor.match.query import And, Near, Node, Not, Or, QueryError, Scoped, Word, parse_query


def shape(node: Node) -> str:
    """A compact, position-free rendering of a syntax tree."""
    if isinstance(node, Word):
        text = f'"{node.text}"' if node.quoted else node.text
        return ("=" if node.cased else "") + text
    if isinstance(node, Scoped):
        return f"{node.field}:{shape(node.body)}"
    if isinstance(node, And):
        return "(" + " & ".join(shape(p) for p in node.parts) + ")"
    if isinstance(node, Or):
        return "(" + " | ".join(shape(p) for p in node.parts) + ")"
    if isinstance(node, Not):
        return "!" + shape(node.body)
    assert isinstance(node, Near)
    return f"[{shape(node.left)} ~{node.distance} {shape(node.right)}]"


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("russia", "russia"),
        ('"prime minister"', '"prime minister"'),
        ("“prime minister”", '"prime minister"'),  # curly quotes pasted from a document
        ("Russian*", "Russian*"),
        ("a AND b", "(a & b)"),
        ("a b c", "(a & b & c)"),  # side by side means AND
        ("a OR b", "(a | b)"),
        ("a AND b OR c", "((a & b) | c)"),  # AND binds tighter than OR
        ("a OR b c", "(a | (b & c))"),
        ("a AND NOT b", "(a & !b)"),
        ("a NOT b", "(a & !b)"),
        ("NOT a b", "(!a & b)"),  # NOT binds tighter than AND
        ("NOT NOT a", "!!a"),
        ("a NEAR/5 b", "[a ~5 b]"),
        ("NOT a NEAR/3 b", "![a ~3 b]"),  # NEAR binds tighter than NOT
        ("a NEAR/3 b NEAR/2 c", "[[a ~3 b] ~2 c]"),
        ("kim_jong_un NEAR/10 (russia OR treaty)", "[kim_jong_un ~10 (russia | treaty)]"),
        ("(a OR b) NEAR/4 (c OR d)", "[(a | b) ~4 (c | d)]"),
        ("a AND (b OR c)", "(a & (b | c))"),
        ("((a))", "a"),
        ("title:Olympic*", "title:Olympic*"),
        ('summary:"prime minister"', 'summary:"prime minister"'),
        ("content:(a OR b) c", "(content:(a | b) & c)"),
        ("Title:x", "title:x"),
        ("=UN", "=UN"),
        ('="Security Council"', '="Security Council"'),
        ("title:=UN", "title:=UN"),
        ("and or not near", "(and & or & not & near)"),  # lower case: plain words
        ("a NEAR/0 b", "[a ~0 b]"),
        ("Kim Jong-un", "(Kim & Jong-un)"),
    ],
)
def test_grammar(query: str, tree: str) -> None:
    assert shape(parse_query(query)) == tree


@pytest.mark.parametrize(
    ("query", "offset", "message"),
    [
        ("", 0, "empty"),
        ("   ", 0, "empty"),
        ("a AND ()", 6, "empty group"),
        ("()", 0, "empty group"),
        ("(a OR b", 0, "unclosed parenthesis"),
        ("a AND (b OR (c)", 6, "unclosed parenthesis"),
        ("a OR b)", 6, "unmatched ')'"),
        (")", 0, "unmatched ')'"),
        ('a "open phrase', 2, "unclosed quote"),
        ('a ""', 2, "empty phrase"),
        ("a NEAR b", 2, "NEAR needs a distance"),
        ("a NEAR/x b", 2, "NEAR needs a distance"),
        ("a NEAR/5", 2, "needs a term after it"),
        ("NEAR/5 b", 0, "needs a term before it"),
        ("a AND", 2, "AND needs a term after it"),
        ("AND a", 0, "AND needs a term before it"),
        ("a OR OR b", 2, "OR needs a term after it"),
        ("a OR", 2, "OR needs a term after it"),
        ("a NOT", 2, "NOT needs a term after it"),
        ("a (b OR)", 5, "OR needs a term after it"),
        ("title: x", 0, "right after the colon"),
        ("source:reuters", 0, "unknown field 'source:'"),
        ("= x", 0, "'=' must be followed"),
        ("a NEAR/3 NOT b", 9, "cannot join a NOT"),
        ("a NEAR/3 (b AND c)", 10, "this operand uses AND"),
        ("(a AND b) NEAR/3 c", 1, "this operand uses AND"),
        ("a NEAR/3 (b OR NOT c)", 15, "this operand uses NOT"),
        ("a ” b", 2, "closing quote"),
    ],
)
def test_errors_point_at_the_bad_spot(query: str, offset: int, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert caught.value.offset == offset
    assert message in caught.value.message
