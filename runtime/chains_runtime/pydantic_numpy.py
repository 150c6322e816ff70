"""``NumpyArrayField``: a numpy array as a field of a pydantic model (or a ``run_remote`` type).

Two wire forms, so JSON and binary peers both work:

- **JSON** (``application/json``), exactly as ``truss_chains.pydantic_numpy``:
  ``{"data_b64": <base64 of the raw bytes>, "shape": [2, 2], "dtype": "int64"}``.
- **MessagePack** (``use_binary=True``, see ``chains_runtime.binary``): the raw bytes as a
  MessagePack ``bin``, in the map ``msgpack_numpy`` writes (which truss's binary path uses):
  ``{b"nd": True, b"type": "<i8", b"kind": b"", b"shape": [2, 2], b"data": <bytes>}``. No base64,
  and a received array is a view of the received bytes (``np.frombuffer``), not a copy.

Decoded arrays are read-only views of the bytes they came in (as in truss); ``.copy()`` one to
change it. numpy is imported only when a field is validated or encoded, so a chain that does
not use the field does not need numpy. Differences from truss: a malformed value is a
validation error (422 on a server; truss raises ``TypeError`` out of validation), object and
structured dtypes are refused (their bytes are pointers or cannot be described by ``dtype``),
and the JSON schema names the field ``data_b64`` that is really sent (truss's says ``data``).
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any, ClassVar

import pydantic
import pydantic_core
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from chains_runtime.errors import ChainsUsageError

# numpy is optional: without it (a chain that does not use the field), arrays are Any. The
# import sits in a ``try`` for the build's check that optional imports handle ImportError.
if TYPE_CHECKING:
    try:  # noqa: SIM105
        from numpy.typing import NDArray  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        pass


class NumpyArrayField:
    """A numpy array that travels in JSON (base64, truss's form) and in MessagePack (raw bytes).

    ::

        class Embedding(pydantic.BaseModel):
            vector: NumpyArrayField

        Embedding(vector=np.zeros(4, dtype=np.float32)).vector.array  # the ndarray
    """

    data_key: ClassVar[str] = "data_b64"
    shape_key: ClassVar[str] = "shape"
    dtype_key: ClassVar[str] = "dtype"
    array: NDArray[Any]

    def __init__(self, array: NDArray[Any]) -> None:
        self.array = array

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(shape={self.array.shape}, "
            f"dtype={self.array.dtype}, data={self.array})"
        )

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source_type: Any, handler: pydantic.GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return _core_schema()

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: pydantic.GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "object",
            "title": "NumpyArrayField",
            "description": "A numpy array: its raw bytes in base64, its shape and its dtype "
            "(in MessagePack calls, the raw bytes in msgpack_numpy's map instead).",
            "properties": {
                cls.data_key: {"type": "string", "format": "byte"},
                cls.shape_key: {"type": "array", "items": {"type": "integer", "minimum": 0}},
                cls.dtype_key: {"type": "string"},
            },
            "required": [cls.data_key, cls.shape_key, cls.dtype_key],
        }

    @classmethod
    def validate_numpy_array(cls, value: Any) -> NumpyArrayField:
        """A field from an ndarray, a field, the JSON form or the MessagePack map; a
        ``ValueError`` (a validation error) for anything else."""
        if isinstance(value, cls):
            return value
        np = _numpy()
        if isinstance(value, np.ndarray):
            return cls(value)
        if isinstance(value, dict):
            if b"nd" in value:
                return cls(_from_binary_map(value))
            if {cls.data_key, cls.shape_key, cls.dtype_key}.issubset(value):
                return cls(_from_json_form(value, cls.data_key, cls.shape_key, cls.dtype_key))
        raise ValueError(
            "expected a numpy array, or an object with the keys "
            f"{cls.data_key!r}, {cls.shape_key!r} and {cls.dtype_key!r}; got "
            f"{_describe(value)}"
        )

    @classmethod
    def serialize_numpy_array(
        cls, obj: NumpyArrayField, info: core_schema.SerializationInfo
    ) -> Any:
        """The JSON form in JSON mode, else the ndarray itself (``model_dump()``)."""
        if info.mode == "json":
            array = _checked(obj.array)
            return {
                cls.data_key: base64.b64encode(array.tobytes()).decode("ascii"),
                cls.shape_key: list(array.shape),
                cls.dtype_key: str(array.dtype),
            }
        return obj.array


def _core_schema() -> core_schema.CoreSchema:
    return core_schema.no_info_after_validator_function(
        NumpyArrayField.validate_numpy_array,
        core_schema.any_schema(),
        serialization=core_schema.plain_serializer_function_ser_schema(
            NumpyArrayField.serialize_numpy_array, info_arg=True
        ),
    )


# pydantic-core serializes a value of any type that has this attribute with it, so a bare
# field (an argument or result that is not inside a model) encodes as JSON too.
NumpyArrayField.__pydantic_serializer__ = pydantic_core.SchemaSerializer(  # type: ignore[attr-defined]
    _core_schema()
)


def binary_map(array: NDArray[Any]) -> dict[bytes, Any]:
    """The MessagePack map of ``array``: its bytes as a view (copied only if not contiguous)."""
    np = _numpy()
    array = _checked(array)
    if not array.flags.c_contiguous:
        array = np.ascontiguousarray(array)
    return {
        b"nd": True,
        b"type": array.dtype.str,
        b"kind": b"",
        b"shape": list(array.shape),
        b"data": array.reshape(-1).view(np.uint8).data,
    }


def _checked(array: NDArray[Any]) -> NDArray[Any]:
    if array.dtype.hasobject or array.dtype.fields is not None:
        raise TypeError(
            f"a numpy array of dtype {array.dtype} cannot travel: object and structured "
            "dtypes have no portable bytes; convert it to a numeric dtype"
        )
    return array


def _from_binary_map(value: dict[Any, Any]) -> NDArray[Any]:
    np = _numpy()
    missing = [key.decode() for key in (b"type", b"shape", b"data") if key not in value]
    if value.get(b"nd") is not True or missing:
        raise ValueError(f"not a numpy array map (missing {', '.join(missing) or 'nd=True'})")
    data, shape = value[b"data"], value[b"shape"]
    if value.get(b"kind", b"") not in (b"", ""):
        raise ValueError("structured and object numpy arrays are not accepted")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ValueError(f"the array's data must be bytes, got {type(data).__name__}")
    return _array(np, data, value[b"type"], shape)


def _from_json_form(
    value: dict[str, Any], data_key: str, shape_key: str, dtype_key: str
) -> NDArray[Any]:
    np = _numpy()
    encoded = value[data_key]
    if not isinstance(encoded, str | bytes):
        raise ValueError(f"{data_key!r} must be a base64 string, got {_describe(encoded)}")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{data_key!r} is not valid base64: {exc}") from None
    return _array(np, data, value[dtype_key], value[shape_key])


def _array(np: Any, data: Any, dtype_text: Any, shape: Any) -> NDArray[Any]:
    if not isinstance(dtype_text, str | bytes):
        raise ValueError(f"dtype must be a string, got {_describe(dtype_text)}")
    if not (
        isinstance(shape, list | tuple)
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
    ):
        raise ValueError(f"shape must be a list of non-negative integers, got {_describe(shape)}")
    try:
        dtype = np.dtype(dtype_text.decode() if isinstance(dtype_text, bytes) else dtype_text)
    except (TypeError, ValueError, UnicodeDecodeError):
        raise ValueError(f"unknown numpy dtype {_describe(dtype_text)}") from None
    if dtype.hasobject or dtype.fields is not None:
        raise ValueError(f"numpy dtype {dtype} is not accepted (object or structured)")
    try:
        array: NDArray[Any] = np.frombuffer(data, dtype=dtype).reshape(shape)
    except ValueError as exc:
        raise ValueError(
            f"{len(data)} bytes of {dtype} do not make an array of shape {list(shape)}: {exc}"
        ) from None
    return array


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ChainsUsageError(
            "NumpyArrayField needs numpy, which is not installed here: add `numpy` to the "
            "chainlet's pip_requirements (and install it where the chain runs)"
        ) from None
    return numpy


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
