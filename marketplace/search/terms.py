"""How a query's words are matched and scored — the one definition both backends follow.

Every query word must match a document (in any field). A word matches a field exactly, or,
when it has ``FUZZY_MIN_LENGTH`` letters or more, with one edit (a letter added, removed,
changed, or two neighbours swapped), for half the points. A word scores the weight of the
best field it matches; a document's score is the sum over the query's words, plus a bonus
for each word typed with its tone marks that the title has exactly so, plus a bonus when the
title holds the whole query as a phrase. Ties go to the newest listing.

Both backends compute exactly this (Elasticsearch through constant-score clauses), so they
rank identically; with short product texts, where a word sits matters more than how often.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import ascii_lowercase, digits

from marketplace.search.folding import exact_tokens, tokens

#: Points for an exact match of a query word, by field; a one-edit match earns half.
FIELD_WEIGHTS = {
    "title": 20,
    "coop": 12,
    "category": 10,
    "province": 8,
    "description": 5,
}
#: Each query word typed with tone marks that the title spells the same way.
EXACT_SPELLING_BONUS = 4
#: The whole query appears in the title as a phrase.
PHRASE_BONUS = 15
FUZZY_MIN_LENGTH = 5
MAX_QUERY_WORDS = 12
MAX_WORD_LENGTH = 40
#: Stored index terms are cut to this length (a column limit); query words the same way.
TERM_LENGTH = 60
EXACT_PREFIX = "="

_ALPHABET = ascii_lowercase + digits


@dataclass(frozen=True)
class Word:
    term: str
    fuzzy: bool
    #: The word as typed, lower-case with tone marks, when those differ from ``term``.
    exact: str | None


@dataclass(frozen=True)
class TextQuery:
    words: tuple[Word, ...]
    phrase: str

    @property
    def empty(self) -> bool:
        return not self.words


def parse_text(raw: str) -> TextQuery:
    """The query words (folded, de-duplicated, at most ``MAX_QUERY_WORDS``)."""
    folded = [t[:MAX_WORD_LENGTH] for t in tokens(raw)]
    exact = [t[:MAX_WORD_LENGTH] for t in exact_tokens(raw)]
    if len(exact) != len(folded):  # odd marks split words differently: no exact spelling
        exact = folded
    words: list[Word] = []
    seen: set[str] = set()
    for index, term in enumerate(folded):
        if term in seen:
            continue
        seen.add(term)
        typed = exact[index] if index < len(exact) else term
        words.append(
            Word(
                term=term,
                fuzzy=len(term) >= FUZZY_MIN_LENGTH and term.isascii(),
                exact=typed if typed != term else None,
            )
        )
        if len(words) == MAX_QUERY_WORDS:
            break
    return TextQuery(tuple(words), " ".join(w.term for w in words))


def one_edit_variants(term: str) -> set[str]:
    """Every string at Damerau–Levenshtein distance ≤ 1 over a–z and 0–9 (term included).

    The database backend looks these up in its term index; Elasticsearch's fuzzy query with
    ``fuzziness: 1`` and transpositions finds the same set among the indexed terms.
    """
    variants = {term}
    for i in range(len(term) + 1):
        left, right = term[:i], term[i:]
        if right:
            variants.add(left + right[1:])  # deletion
            for ch in _ALPHABET:
                variants.add(left + ch + right[1:])  # substitution
        if len(right) > 1:
            variants.add(left + right[1] + right[0] + right[2:])  # transposition
        for ch in _ALPHABET:
            variants.add(left + ch + right)  # insertion
    return variants


def distance_at_most_one(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def word_matches(word: Word, candidate: str) -> bool:
    return candidate == word.term or (word.fuzzy and distance_at_most_one(word.term, candidate))


def index_terms(fields: dict[str, str], exact_title: str) -> dict[str, int]:
    """The term → weight rows of a document: each folded word with its best field's weight."""
    weights: dict[str, int] = {}
    for field, text in fields.items():
        weight = FIELD_WEIGHTS[field]
        for term in text.split():
            if term == "|":  # the separator between the parts of a field
                continue
            term = term[:TERM_LENGTH]
            if weights.get(term, 0) < weight:
                weights[term] = weight
    for word in exact_title.split():
        key = EXACT_PREFIX + word[: TERM_LENGTH - 1]
        weights.setdefault(key, 0)
    return weights
