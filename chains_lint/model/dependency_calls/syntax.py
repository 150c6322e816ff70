"""Syntax questions the analyses ask about single nodes: is this name a target, a binding..."""

from __future__ import annotations

import libcst as cst

from chains_lint.model.values import dotted_name

Parents = dict[cst.CSTNode, cst.CSTNode]


def is_staticmethod(node: cst.FunctionDef) -> bool:
    return any(dotted_name(d.decorator) == "staticmethod" for d in node.decorators)


def self_name(node: cst.FunctionDef) -> str | None:
    """The name of a method's ``self`` parameter; None for static and class methods."""
    for decorator in node.decorators:
        if dotted_name(decorator.decorator) in ("staticmethod", "classmethod"):
            return None
    params = [*node.params.posonly_params, *node.params.params]
    return params[0].name.value if params else None


def is_self_attribute(node: cst.CSTNode, self_name: str | None) -> bool:
    """True for ``self.<attr>`` (with the method's own name for ``self``)."""
    return (
        self_name is not None
        and isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == self_name
    )


def is_binding(name: cst.Name, parents: Parents) -> bool:
    """True when ``name`` is not a read of a variable (a target, an attribute name...)."""
    parent = parents.get(name)
    if isinstance(parent, cst.Attribute) and parent.attr is name:
        return True
    if isinstance(parent, cst.Arg) and parent.keyword is name:
        return True
    if isinstance(
        parent,
        (cst.Param, cst.FunctionDef, cst.ClassDef, cst.AsName, cst.ImportAlias, cst.NameItem),
    ):
        return True
    return is_target(name, parents)


def is_target(node: cst.CSTNode, parents: Parents) -> bool:
    """True when ``node`` is (part of) an assignment or loop target."""
    child = node
    parent = parents.get(child)
    while isinstance(parent, (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
        child = parent
        parent = parents.get(child)
    if isinstance(parent, cst.AssignTarget):
        return True
    if isinstance(parent, (cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor, cst.NamedExpr)):
        return parent.target is child
    return isinstance(parent, cst.Del)


def target_names(target: cst.BaseExpression) -> list[tuple[str, int]]:
    """Names bound by a loop / assignment target, with the level shift of each.

    ``a, *rest`` binds ``a`` to one element (shift 0) and ``rest`` to a list of
    them (shift 1).
    """
    if isinstance(target, cst.Name):
        return [(target.value, 0)]
    if isinstance(target, (cst.Tuple, cst.List)):
        found: list[tuple[str, int]] = []
        for element in target.elements:
            shift = 1 if isinstance(element, cst.StarredElement) else 0
            found += [(n, s + shift) for n, s in target_names(element.value)]
        return found
    return []


def self_attribute_store(
    node: cst.Assign | cst.AnnAssign | cst.AugAssign, self_name: str | None
) -> tuple[str, cst.CSTNode] | None:
    """``(attr, value)`` when ``node`` assigns ``self.<attr> = value``.

    For ``self.<attr> += value`` the value is the statement itself: the
    attribute no longer holds what it held.
    """
    if self_name is None:
        return None
    targets: list[cst.BaseExpression]
    if isinstance(node, cst.Assign):
        targets = [t.target for t in node.targets]
    elif node.value is not None:
        targets = [node.target]
    else:
        return None
    for target in targets:
        if is_self_attribute(target, self_name):
            assert isinstance(target, cst.Attribute)
            value = node if isinstance(node, cst.AugAssign) else node.value
            assert value is not None
            return target.attr.value, value
    return None


def param_for_argument(
    function: cst.FunctionDef, skip_first: bool, call: cst.Call, arg: cst.Arg
) -> str | None:
    """The parameter of ``function`` that ``arg`` of ``call`` binds to, if clear."""
    params = function.params
    if arg.keyword is not None:
        named = (*params.posonly_params, *params.params, *params.kwonly_params)
        names = [p.name.value for p in named]
        return arg.keyword.value if arg.keyword.value in names else None
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    if skip_first:
        positional = positional[1:]
    index = 0
    for candidate in call.args:
        if candidate.star:
            return None
        if candidate is arg:
            return positional[index] if index < len(positional) else None
        if candidate.keyword is None:
            index += 1
    return None
