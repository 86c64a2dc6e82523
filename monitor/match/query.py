"""The watchlist query language: a lexer and a recursive-descent parser into a frozen syntax tree.

Grammar (precedence tightest first: NEAR, NOT, AND, OR; operands side by side mean AND)::

    query    := or_expr
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := not_expr (["AND"] not_expr)*
    not_expr := "NOT" not_expr | near_expr
    near_expr:= primary ("NEAR/" n primary)*
    primary  := field ":" primary | "(" or_expr ")" | ["="] '"' phrase '"' | ["="] word

A ``word`` may end in ``*`` (prefix); ``=`` makes a word or phrase case-sensitive; ``field`` is one of
title, summary, content. Operators are upper case; ``and``/``or``/``not``/``near`` are ordinary words.
See LANGUAGE.md for the user's view. Errors carry the offset of the bad spot in the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.errors import WiremonError

FIELDS = ("title", "summary", "content")
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_NEAR = re.compile(r"NEAR/(\d+)")
_FIELD_PREFIX = re.compile(r"([A-Za-z]+):")
# Opening quote -> the quotes that may close it (curly quotes are accepted for pasted text).
_QUOTES = {'"': '"', "“": '”"'}
_WORD = re.compile(r'[^\s()"“]*')  # a bare word ends at white space, a parenthesis or an opening quote


class QueryError(WiremonError):
    """A query does not parse; ``offset`` is the 0-based position of the bad spot in the query."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Word:
    """A bare word (maybe an actor id) or a quoted phrase, as written (without quotes or '=')."""

    text: str
    pos: int
    quoted: bool = False
    cased: bool = False


@dataclass(frozen=True, slots=True)
class Scoped:
    field: str
    body: Node
    pos: int


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Not:
    body: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Near:
    left: Node
    right: Node
    distance: int
    pos: int


Node = Word | Scoped | And | Or | Not | Near


@dataclass(frozen=True, slots=True)
class _Lexeme:
    kind: str  # "(", ")", "AND", "OR", "NOT", "NEAR", "FIELD", "TERM"
    pos: int
    text: str = ""
    distance: int = 0
    quoted: bool = False
    cased: bool = False


def _lex_phrase(query: str, i: int, cased: bool) -> tuple[_Lexeme, int]:
    closers = _QUOTES[query[i]]
    end = min((j for j in (query.find(c, i + 1) for c in closers) if j >= 0), default=-1)
    if end < 0:
        raise QueryError("unclosed quote", i)
    text = query[i + 1 : end]
    if not text.strip():
        raise QueryError("empty phrase", i)
    return _Lexeme("TERM", i - cased, text, quoted=True, cased=cased), end + 1


def _lex_word(query: str, i: int) -> tuple[list[_Lexeme], int]:
    j = _WORD.match(query, i).end()  # type: ignore[union-attr]  # matches the empty string too
    word = query[i:j]
    if word in _OPERATORS:
        return [_Lexeme(word, i)], j
    if word == "NEAR" or word.startswith("NEAR/"):
        m = _NEAR.fullmatch(word)
        if not m:
            raise QueryError("NEAR needs a distance in words, written NEAR/5", i)
        return [_Lexeme("NEAR", i, distance=int(m.group(1)))], j
    m = _FIELD_PREFIX.match(word)
    if m:
        field = m.group(1).lower()
        if field not in FIELDS:
            raise QueryError(
                f"unknown field '{m.group(1)}:' (fields are title:, summary:, content:; "
                'put the word in "quotes" to search for it as written)',
                i,
            )
        after = i + m.end()
        if after >= len(query) or query[after].isspace() or query[after] == ")":
            raise QueryError(f"{field}: needs a term or (group) right after the colon", i)
        return [_Lexeme("FIELD", i, field)], after
    if word.startswith("="):
        if j < len(query) and query[j] in _QUOTES and word == "=":
            lexeme, end = _lex_phrase(query, j, cased=True)
            return [lexeme], end
        if word == "=":
            raise QueryError("'=' must be followed by a word or a \"phrase\" (case-sensitive term)", i)
        return [_Lexeme("TERM", i, word[1:], cased=True)], j
    return [_Lexeme("TERM", i, word)], j


def lex(query: str) -> list[_Lexeme]:
    out: list[_Lexeme] = []
    i = 0
    while i < len(query):
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "()":
            out.append(_Lexeme(char, i))
            i += 1
        elif char in _QUOTES:
            lexeme, i = _lex_phrase(query, i, cased=False)
            out.append(lexeme)
        elif char in "”":
            raise QueryError("closing quote without an opening one", i)
        else:
            lexemes, i = _lex_word(query, i)
            out.extend(lexemes)
    return out


_OPERAND_START = frozenset({"TERM", "(", "NOT", "FIELD"})


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.lexemes = lex(query)
        self.i = 0

    def peek(self) -> _Lexeme | None:
        return self.lexemes[self.i] if self.i < len(self.lexemes) else None

    def take(self) -> _Lexeme:
        lexeme = self.lexemes[self.i]
        self.i += 1
        return lexeme

    def need_operand(self, after: _Lexeme, what: str, kinds: frozenset[str] = _OPERAND_START) -> None:
        nxt = self.peek()
        if nxt is None or nxt.kind not in kinds:
            raise QueryError(f"{what} needs a term after it", after.pos)

    def parse(self) -> Node:
        if not self.lexemes:
            raise QueryError("the query is empty", 0)
        node = self.or_expr()
        extra = self.peek()
        if extra is not None:
            raise QueryError("unmatched ')'" if extra.kind == ")" else "unexpected text", extra.pos)
        return node

    def or_expr(self) -> Node:
        first = self.and_expr()
        parts = [first]
        while (nxt := self.peek()) is not None and nxt.kind == "OR":
            self.need_operand(self.take(), "OR")
            parts.append(self.and_expr())
        return first if len(parts) == 1 else Or(tuple(parts), _pos(first))

    def and_expr(self) -> Node:
        first = self.not_expr()
        parts = [first]
        while (nxt := self.peek()) is not None and (nxt.kind == "AND" or nxt.kind in _OPERAND_START):
            if nxt.kind == "AND":
                self.need_operand(self.take(), "AND")
            parts.append(self.not_expr())
        return first if len(parts) == 1 else And(tuple(parts), _pos(first))

    def not_expr(self) -> Node:
        nxt = self.peek()
        if nxt is not None and nxt.kind == "NOT":
            op = self.take()
            self.need_operand(op, "NOT")
            return Not(self.not_expr(), op.pos)
        return self.near_expr()

    def near_expr(self) -> Node:
        left = self.primary()
        while (nxt := self.peek()) is not None and nxt.kind == "NEAR":
            op = self.take()
            if (after := self.peek()) is not None and after.kind == "NOT":
                raise QueryError(f"NEAR/{op.distance} cannot join a NOT; put NOT outside the NEAR", after.pos)
            self.need_operand(op, f"NEAR/{op.distance}", frozenset({"TERM", "(", "FIELD"}))
            right = self.primary()
            for side in (left, right):
                _check_spannable(side, op)
            left = Near(left, right, op.distance, _pos(left))
        return left

    def primary(self) -> Node:
        nxt = self.peek()
        if nxt is None:
            raise QueryError("the query ends where a term was expected", len(self.query))
        if nxt.kind == "TERM":
            self.take()
            return Word(nxt.text, nxt.pos, nxt.quoted, nxt.cased)
        if nxt.kind == "FIELD":
            self.take()
            self.need_operand(nxt, f"{nxt.text}:", frozenset({"TERM", "(", "FIELD"}))
            return Scoped(nxt.text, self.primary(), nxt.pos)
        if nxt.kind == "(":
            return self.group()
        if nxt.kind == ")":
            raise QueryError("unmatched ')'", nxt.pos)
        label = f"NEAR/{nxt.distance}" if nxt.kind == "NEAR" else nxt.kind
        raise QueryError(f"{label} needs a term before it", nxt.pos)

    def group(self) -> Node:
        opening = self.take()
        nxt = self.peek()
        if nxt is not None and nxt.kind == ")":
            raise QueryError("empty group '()'", opening.pos)
        if nxt is None:
            raise QueryError("unclosed parenthesis", opening.pos)
        body = self.or_expr()
        closing = self.peek()
        if closing is None or closing.kind != ")":
            raise QueryError("unclosed parenthesis", opening.pos)
        self.take()
        return body


def _pos(node: Node) -> int:
    return node.pos


def _check_spannable(node: Node, op: _Lexeme) -> None:
    """NEAR measures distances between places in the text, which AND and NOT do not have."""
    if isinstance(node, Word | Near):
        return
    if isinstance(node, Scoped):
        _check_spannable(node.body, op)
        return
    if isinstance(node, Or):
        for part in node.parts:
            _check_spannable(part, op)
        return
    kind = "AND" if isinstance(node, And) else "NOT"
    raise QueryError(f"NEAR/{op.distance} joins terms, phrases or (… OR …) groups; this operand uses {kind}", node.pos)


def parse_query(query: str) -> Node:
    """Parse a query; raises QueryError with the offset of the first mistake."""
    return _Parser(query).parse()
