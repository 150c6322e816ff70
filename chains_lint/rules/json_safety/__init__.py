"""Whether a type annotation can travel as JSON through pydantic, decided statically.

:class:`JsonSafety` classifies one annotation (a :class:`TypeExpr`) in the
namespace of the analysed files: it is *safe*, *unsafe* (with reasons), or
*unknown* (with reasons: the linter cannot see enough to tell). Each reason is a
:class:`Finding` that points at the most precise part of the annotation and,
for problems inside pydantic models or type aliases, lists the fields and
aliases it was reached through.

Policy (what "safe" means here: pydantic v2 writes the value as JSON and reads
it back as the same type):

- Primitives, ``None``, unions, ``Literal``, ``Annotated[T, ...]``, lists,
  sequences, sets (pydantic writes them as arrays and reads them back into
  sets), tuples (fixed and ``tuple[T, ...]``), dicts whose keys survive being
  JSON object keys (strings, numbers, string/int enums, string literals, uuids,
  dates), ``datetime``/``uuid``/``decimal``/``pathlib`` values and common
  pydantic types are safe.
- Enums, pydantic models, dataclasses, ``NamedTuple`` and
  ``typing_extensions.TypedDict`` classes defined in the analysed files are
  safe when their fields are; a model used as an I/O type must be defined at
  module top level (the generated server imports it by name).
- ``bytes`` directly in the signature is safe: the generated request and
  response models encode bytes as base64. Inside a user's pydantic model the
  model's own config applies; pydantic's default writes bytes as UTF-8 text and
  fails on binary data, so ``bytes`` there is unsafe unless the model sets
  ``ser_json_bytes`` and ``val_json_bytes`` to ``"base64"``.
- ``Any``/``object``, bare ``pydantic.BaseModel`` (pydantic serialises by the
  declared type, so no field is sent), callables, iterators, plain classes,
  numpy/torch/pandas/PIL objects and secrets are unsafe.
- Containers without item types (``list``, ``dict``...) are unknown: pydantic
  accepts them but cannot check their items. Classes the linter cannot see
  (third-party packages) are unknown.

The package: :mod:`.classifier` walks an annotation, with :mod:`.dict_keys` and
:mod:`.class_fields` for dict keys and classes; :mod:`.class_facts` and
:mod:`.aliases` read what classes and module-level names are; :mod:`.names`
lists the types it knows and :mod:`.findings` the reasons it gives.
"""

from __future__ import annotations

from chains_lint.rules.json_safety.class_facts import DATA_KINDS, ClassFacts, ClassKind
from chains_lint.rules.json_safety.classifier import JsonSafety, tuple_items
from chains_lint.rules.json_safety.names import (
    ANNOTATED,
    BYTES,
    CONTAINER_HEADS,
    LITERAL,
    MAPPING_HEADS,
    SAFE_KEYS,
    SAFE_PYDANTIC,
    SAFE_STDLIB,
    SCALARS,
    SEQUENCE_HEADS,
    STREAM_HEADS,
    TUPLE_HEADS,
    UNION_HEADS,
    WRAPPERS,
    normalize,
)
from chains_lint.rules.json_safety.results import (
    Classification,
    Finding,
    Problem,
    Step,
    Verdict,
)

__all__ = [
    "ANNOTATED",
    "BYTES",
    "CONTAINER_HEADS",
    "DATA_KINDS",
    "LITERAL",
    "MAPPING_HEADS",
    "SAFE_KEYS",
    "SAFE_PYDANTIC",
    "SAFE_STDLIB",
    "SCALARS",
    "SEQUENCE_HEADS",
    "STREAM_HEADS",
    "TUPLE_HEADS",
    "UNION_HEADS",
    "WRAPPERS",
    "ClassFacts",
    "ClassKind",
    "Classification",
    "Finding",
    "JsonSafety",
    "Problem",
    "Step",
    "Verdict",
    "normalize",
    "tuple_items",
]
