"""The pydantic types the chainlets of the multi-file example exchange."""

import pydantic


class Document(pydantic.BaseModel):
    title: str
    body: str


class KeywordCount(pydantic.BaseModel):
    word: str
    count: int


class Outline(pydantic.BaseModel):
    word_count: int
    sentence_count: int
    first_sentence: str


class Summary(pydantic.BaseModel):
    title: str
    outline: Outline
    keywords: list[KeywordCount]
