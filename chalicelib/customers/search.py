"""Search terms: what a customer is found by, and how a query is looked up.

Indexed are the words of the name and the company, the whole e-mail address, `@` with its domain, and
the words of the address's local part and domain. Text is brought into one canonical spelling: case-folded,
accents dropped, `ß` as `ss`, and the German umlaut spellings collapsed (`ä`, `ae` and `a` alike), so
`Müller`, `Mueller` and `Muller` are found by `müller`, `mueller` and `muller`, each with a single index
entry per prefix. (Words that merely contain `ae`, `oe` or `ue`, like `Manuel`, are spelled the same way on
both sides, so they are found as before; at worst a query also shows a near-homonym.)

Each term is stored with every prefix up to `PREFIX_LENGTH` characters as an item of its own
(`{account}#SEARCH#{prefix}` → customer id), so a query reads only the customers whose terms start
with its longest word, whatever the size of the account. Longer words are looked up by their first
`PREFIX_LENGTH` characters, and every candidate is checked against the whole query before it is shown.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable

PREFIX_LENGTH = 10
MAX_WORDS_PER_FIELD = 8
#: Index entries per customer: a create writes them in its one transaction with the customer, its count,
#: its activity entry and up to 20 memberships (100 actions at most).
MAX_INDEX_KEYS = 76
MAX_QUERY_TERMS = 5
_WORD = re.compile(r"[0-9a-z]+")
#: Letters that carry no combining mark to drop (NFKD leaves them whole).
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
#: `ae`, `oe`, `ue` → `a`, `o`, `u`: an `e` never starts a pair, so a prefix of a word always canonicalises
#: to a prefix of the word's canonical form (what prefix search needs).
_UMLAUT_SPELLING = re.compile(r"([aou])e")


def fold(text: str) -> str:
    """Lower case without accents (`Müller` → `muller`, `Straße` → `strasse`, `Øre` → `ore`)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_LETTERS)


def canonical(text: str) -> str:
    """The spelling terms are indexed and looked up in (`Müller`, `Mueller` → `muller`)."""
    return _UMLAUT_SPELLING.sub(r"\1", fold(text))


def _words(text: str | None) -> list[str]:
    return _WORD.findall(canonical(text))[:MAX_WORDS_PER_FIELD] if text else []


def terms(name: str, company: str | None, email: str | None) -> list[str]:
    """Every term a customer is found by, without duplicates, most useful first (what the index cap keeps):
    the first words of name and company, the address and `@domain`, the other words of name and company
    in turns, then the words of the address."""
    name_words, company_words = _words(name), _words(company)
    found = name_words[:1] + company_words[:1]
    address_words: list[str] = []
    if email:
        address = canonical(email.strip())
        local, _, domain = address.partition("@")
        found += [address, f"@{domain}"] if domain else [address]
        address_words = _WORD.findall(local)[:MAX_WORDS_PER_FIELD] + _WORD.findall(domain)[:MAX_WORDS_PER_FIELD]
    for pair in itertools.zip_longest(name_words[1:], company_words[1:]):
        found += [word for word in pair if word]
    found += address_words
    return list(dict.fromkeys(t for t in found if t))


def index_keys(term_list: Iterable[str]) -> list[str]:
    """The index entries for `term_list`: every prefix up to PREFIX_LENGTH, capped at MAX_INDEX_KEYS
    (the first terms win; the cap only bites on extreme inputs)."""
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
        spelled = canonical(chunk)
        if "@" in spelled:
            found.append(spelled)
        else:
            found += _WORD.findall(spelled)
    return list(dict.fromkeys(found))[:MAX_QUERY_TERMS]


def lookup_key(query: list[str]) -> str:
    """The index entry to read for a query: its longest term, cut to PREFIX_LENGTH."""
    return max(query, key=len)[:PREFIX_LENGTH]


def matches(query: list[str], customer_terms: Iterable[str]) -> bool:
    """Every query term is the beginning of one of the customer's terms."""
    candidates = list(customer_terms)
    return all(any(term.startswith(q) for term in candidates) for q in query)
