"""Search terms: what a customer is found by, and how a query is looked up.

Indexed are the words of the name and the company, the whole e-mail address, its local part's words
and its domain (with and without `@`). Text is case-folded and accents are dropped (`Müller` is found
by `müller` and `muller`); German umlauts are also indexed transliterated (`mueller`).

Each term is stored with every prefix up to `PREFIX_LENGTH` characters as an item of its own
(`{account}#SEARCH#{prefix}` → customer id), so a query reads only the customers whose terms start
with its longest word, whatever the size of the account. Longer words are looked up by their first
`PREFIX_LENGTH` characters, and every candidate is checked against the whole query before it is shown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

PREFIX_LENGTH = 10
MAX_WORDS_PER_FIELD = 8
MAX_INDEX_KEYS = 64
MAX_QUERY_TERMS = 5
_WORD = re.compile(r"[0-9a-z]+")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold(text: str) -> str:
    """Lower case without accents (`Müller` → `muller`, `Straße` → `strasse`)."""
    lowered = text.casefold().replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _variants(text: str) -> list[str]:
    lowered = text.casefold()
    transliterated = lowered.translate(_UMLAUTS)
    folded = fold(text)
    return [folded] if fold(transliterated) == folded else [folded, fold(transliterated)]


def _words(text: str | None) -> list[str]:
    if not text:
        return []
    words: list[str] = []
    for variant in _variants(text):
        words.extend(_WORD.findall(variant)[:MAX_WORDS_PER_FIELD])
    return words


def terms(name: str, company: str | None, email: str | None) -> list[str]:
    """Every term a customer is found by, most useful first, without duplicates."""
    found: list[str] = []
    if email:
        address = fold(email.strip())
        local, _, domain = address.partition("@")
        found += [address, f"@{domain}", domain] if domain else [address]
        found += _WORD.findall(local)[:MAX_WORDS_PER_FIELD]
    found = _words(name) + found + _words(company)
    return list(dict.fromkeys(t for t in found if t))


def index_keys(term_list: Iterable[str]) -> list[str]:
    """The index entries for `term_list`: every prefix up to PREFIX_LENGTH, capped at MAX_INDEX_KEYS
    (shorter prefixes of the first terms win; the cap only bites on extreme inputs)."""
    keys: dict[str, None] = {}
    for term in term_list:
        for length in range(1, min(len(term), PREFIX_LENGTH) + 1):
            keys.setdefault(term[:length])
            if len(keys) >= MAX_INDEX_KEYS:
                return sorted(keys)
    return sorted(keys)


def query_terms(query: str) -> list[str]:
    """The terms of a search query: an e-mail address or `@domain` stays whole, anything else is split
    into words."""
    found: list[str] = []
    for chunk in query.split():
        folded = fold(chunk)
        if "@" in folded:
            found.append(folded)
        else:
            found += _WORD.findall(folded)
    return list(dict.fromkeys(found))[:MAX_QUERY_TERMS]


def lookup_key(query: list[str]) -> str:
    """The index entry to read for a query: its longest term, cut to PREFIX_LENGTH."""
    return max(query, key=len)[:PREFIX_LENGTH]


def matches(query: list[str], customer_terms: Iterable[str]) -> bool:
    """Every query term is the beginning of one of the customer's terms."""
    candidates = list(customer_terms)
    return all(any(term.startswith(q) for term in candidates) for q in query)
