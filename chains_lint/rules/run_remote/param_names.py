"""CH108-CH109: parameter names that cannot be fields of the pydantic request model."""

from __future__ import annotations

from chains_lint.model.types import Param
from chains_lint.rules.run_remote.endpoint_rule import ParamRule

# Public attributes of ``pydantic.BaseModel`` (pydantic 2). A request field with
# one of these names is rejected by pydantic or shadows a method the framework
# calls (``model_fields_set``, ``model_dump``...). Kept static: the linter does
# not import pydantic. tests/test_rules_run_remote.py compares it with the
# installed pydantic so that it cannot drift.
PYDANTIC_BASEMODEL_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "from_orm",
        "json",
        "model_computed_fields",
        "model_config",
        "model_construct",
        "model_copy",
        "model_dump",
        "model_dump_json",
        "model_extra",
        "model_fields",
        "model_fields_set",
        "model_json_schema",
        "model_parametrized_name",
        "model_post_init",
        "model_rebuild",
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
    }
)


class RunRemotePrivateParamName(ParamRule):
    code = "CH108"
    name = "run-remote-param-underscore"
    summary = "Reports a `run_remote` parameter whose name starts with an underscore."
    why = """
Each parameter becomes a field of a pydantic request model, and pydantic treats
names with a leading underscore as private attributes, not fields. The value
never reaches `run_remote`, whose call then fails for the missing argument.
"""
    fix = "Rename the parameter without the leading underscore."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, _name: str) -> str:
        return f"Hello, {_name}"
"""
    bad_span = (5, 32, 5, 37)
    good = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def param_problem(self, param: Param) -> str | None:
        if not param.name.startswith("_"):
            return None
        suggestion = param.name.lstrip("_") or "value"
        return (
            f"`run_remote` parameter `{param.name}` starts with an underscore, so it "
            f"cannot be a request field; rename it, e.g. `{suggestion}`"
        )


class RunRemoteParamShadowsBaseModel(ParamRule):
    code = "CH109"
    name = "run-remote-param-shadows-basemodel"
    summary = (
        "Reports a `run_remote` parameter named like an attribute of `pydantic.BaseModel` "
        "(`json`, `dict`, `copy`, `schema`, `model_config`, `model_dump`...)."
    )
    why = """
The request model is a pydantic model with one field per parameter. pydantic
refuses some of these names outright (`model_config`, `model_dump`,
`model_validate`...) and for the others the field replaces a `BaseModel`
method on the request, which the framework and clients call to serialize and
validate it (truss reads `model_fields_set` to pass the arguments).
"""
    fix = "Rename the parameter, e.g. `json` to `payload`, `schema` to `schema_name`."
    bad = """
import truss_chains as chains


class Echo(chains.ChainletBase):
    async def run_remote(self, json: str) -> str:
        return json
"""
    bad_span = (5, 32, 5, 36)
    good = """
import truss_chains as chains


class Echo(chains.ChainletBase):
    async def run_remote(self, payload: str) -> str:
        return payload
"""

    def param_problem(self, param: Param) -> str | None:
        if param.name not in PYDANTIC_BASEMODEL_ATTRIBUTES:
            return None
        return (
            f"`run_remote` parameter `{param.name}` has the name of a "
            "`pydantic.BaseModel` attribute and cannot be a field of the request "
            f"model; rename it, e.g. `{param.name}_value`"
        )
