"""Plain text helpers shared by several chainlets (no SDK import: not a chain file)."""

import re

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

# Too common to be keywords.
STOPWORDS = frozenset({"a", "an", "and", "in", "is", "it", "of", "on", "the", "to", "with"})


def words(text: str) -> list[str]:
    """The lower-cased words of ``text``, punctuation dropped."""
    return _WORD.findall(text.lower())


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, split after ``.``, ``!`` or ``?`` followed by white space."""
    return [sentence for sentence in _SENTENCE_END.split(text.strip()) if sentence]
