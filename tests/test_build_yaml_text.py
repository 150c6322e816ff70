"""The YAML emitter: any JSON-like data reads back as itself, byte-identical every time."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from chains_build import yaml_text

TRICKY = [
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "n",
    "~",
    "null",
    "",
    " ",
    "true",
    "False",
    "0",
    "007",
    "0o17",
    "0x1F",
    "1e3",
    "1_000",
    "1:30",
    ".inf",
    "-.nan",
    "8000:8080",
    "- item",
    "key: value",
    "# comment",
    "a #b",
    "&anchor",
    "*alias",
    "!tag",
    "%x",
    "@x",
    "`x`",
    "{}",
    "[]",
    "'",
    '"',
    "a'b",
    "tab\there",
    "line\nbreak",
    "trailing ",
    "\u00e9t\u00e9",
    "\x00",
    "\u2028",
    "$HOME",
    "2001-12-14",
    "<<",
]

scalars = st.one_of(
    st.text(),
    st.sampled_from(TRICKY),
    st.integers(min_value=-(2**62), max_value=2**62),
    st.booleans(),
    st.none(),
)
data = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def round_trip(value: dict[str, Any]) -> Any:
    return yaml.safe_load(yaml_text.dump(value))


def test_tricky_strings_stay_strings() -> None:
    document = {text: text for text in TRICKY if text}
    assert round_trip({"values": document, "list": TRICKY}) == {
        "values": document,
        "list": TRICKY,
    }


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), data, max_size=5))
def test_any_json_like_data_reads_back_as_itself(value: dict[str, Any]) -> None:
    assert round_trip(value) == value


def test_multi_line_text_is_a_literal_block() -> None:
    text = '{\n  "a": 1,\n\n  "b": [2]\n}\n'
    out = yaml_text.dump({"data": {"config.json": text}})
    assert out == 'data:\n  config.json: |\n    {\n      "a": 1,\n\n      "b": [2]\n    }\n'
    assert yaml.safe_load(out) == {"data": {"config.json": text}}


def test_documents_and_comments() -> None:
    out = yaml_text.dump_all([{"a": 1}, {"b": []}], comments=["made by a test", ""])
    assert out == "# made by a test\n#\na: 1\n---\nb: []\n"
    assert list(yaml.safe_load_all(out)) == [{"a": 1}, {"b": []}]
