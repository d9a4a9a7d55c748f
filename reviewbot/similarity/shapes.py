"""AST-shape features: hashes of statements and expressions that survive rewriting.

Each statement (compound statements by their header only) and each call or larger
expression gives one feature: a hash of its subtree with the names the file binds erased,
literals reduced to their type, operands of commutative operators sorted, comparisons
and boolean tests made polarity-free (``a < b``, ``b > a``, ``not a >= b`` hash alike),
augmented assignments spelled out. Statement order, function boundaries, loop kinds and
``if``/``else`` inversion then no longer matter: the features form a set per file.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

from reviewbot.similarity.tokens import token_id

MIN_SIZE = 4  # smaller subtrees (``x = 0``, ``pass``, ``return x``) say nothing
MAX_WEIGHT = 25  # one huge literal must not outweigh the rest of a file
_BODY_FIELDS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})
_SKIP_FIELDS = frozenset({"ctx", "type_comment", "kind"})
_COMMUTATIVE = (ast.Add, ast.Mult, ast.BitAnd, ast.BitOr, ast.BitXor)
_ORDER, _EQUAL, _IDENTITY, _MEMBER = (token_id(t) for t in ("<ord>", "<eq>", "<is>", "<in>"))
_CMP_CLASS = {ast.Lt: _ORDER, ast.GtE: _ORDER, ast.Gt: _ORDER, ast.LtE: _ORDER,
              ast.Eq: _EQUAL, ast.NotEq: _EQUAL, ast.Is: _IDENTITY, ast.IsNot: _IDENTITY,
              ast.In: _MEMBER, ast.NotIn: _MEMBER}
_FLIPPED = (ast.Gt, ast.GtE)  # a > b is b < a: swap operands, then classes match
_TYPE_IDS: dict[type, int] = {}
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_EMITTED_EXPRESSIONS = (ast.Call, ast.BoolOp, ast.Compare, ast.ListComp, ast.SetComp,
                        ast.DictComp, ast.GeneratorExp, ast.Lambda, ast.IfExp, ast.Subscript,
                        ast.BinOp, ast.Dict, ast.List, ast.Tuple)


class Feature(NamedTuple):
    hash: int
    line: int
    weight: int


def bound_names(tree: ast.AST) -> frozenset[str]:
    """Names the file defines: what a renaming disguise can change without breaking it."""
    names: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:  # ast.walk, without its per-node generator overhead
        node = stack.pop()
        kind = type(node)
        if kind is ast.Name:
            if type(node.ctx) is not ast.Load:
                names.add(node.id)
            continue
        if kind is ast.arg:
            names.add(node.arg)
        elif kind in _DEFINITIONS or (kind is ast.ExceptHandler and node.name):
            names.add(node.name)
        elif kind is ast.Attribute and type(node.ctx) is not ast.Load:
            names.add(node.attr)
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)
    return frozenset(name for name in names if not name.startswith("__"))


def shape_features(tree: ast.Module, bound: frozenset[str]) -> list[Feature]:
    """One feature per significant statement header and expression of ``tree``."""
    walker = _Shapes(bound)
    walker.statements(tree.body)
    return walker.features


def _type_id(node_type: type) -> int:
    found = _TYPE_IDS.get(node_type)
    if found is None:
        found = _TYPE_IDS[node_type] = token_id(node_type.__name__)
    return found


class _Shapes:
    def __init__(self, bound: frozenset[str]) -> None:
        self.bound = bound
        self.features: list[Feature] = []

    def statements(self, body: list[ast.stmt]) -> None:
        for statement in body:
            if _is_docstring(statement):
                continue
            mark = len(self.features)
            try:
                self.statement(statement)
            except RecursionError:  # ~500 nested operators (generated tables): skip it
                del self.features[mark:]

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.AugAssign):  # x += y is x = x + y
            parts, size = self._spelled_out(node)
        else:
            parts, size = [_type_id(_statement_kind(node))], 1
            for field in _header_fields(node):
                value_hash, value_size = self.value(field)
                parts.append(value_hash)
                size += value_size
        self.emit(hash(tuple(parts)), node, size)
        for field in _BODY_FIELDS:
            children = getattr(node, field, None)
            if children:
                self.statements([c for c in children if isinstance(c, ast.stmt)])
                for child in children:
                    if not isinstance(child, ast.stmt):  # handlers, match cases
                        self.statement_like(child)

    def statement_like(self, node: ast.AST) -> None:
        header = [v for f, v in ast.iter_fields(node) if f not in _BODY_FIELDS]
        self.value(header)
        self.statements(getattr(node, "body", []))

    def _spelled_out(self, node: ast.AugAssign) -> tuple[list[int], int]:
        target_hash, target_size = self.expr(node.target)
        value_hash, value_size = self.expr(node.value)
        operands = sorted((target_hash, value_hash)) if isinstance(node.op, _COMMUTATIVE) \
            else [target_hash, value_hash]
        binop = hash((_type_id(ast.BinOp), _type_id(type(node.op)), *operands))
        return [_type_id(ast.Assign), target_hash, binop], 2 + target_size + value_size

    def emit(self, feature_hash: int, node: ast.AST, size: int) -> None:
        if size >= MIN_SIZE:
            line = getattr(node, "lineno", 0)
            self.features.append(Feature(feature_hash, line, min(size, MAX_WEIGHT)))

    def value(self, value: object) -> tuple[int, int]:
        if isinstance(value, ast.AST):
            return self.expr(value)
        if isinstance(value, list):
            hashes, size = [], 0
            for item in value:
                item_hash, item_size = self.value(item)
                hashes.append(item_hash)
                size += item_size
            return hash(tuple(hashes)), size
        return 0, 0

    def expr(self, node: ast.AST) -> tuple[int, int]:
        special = _SPECIAL.get(type(node))
        if special is not None:
            node_hash, size = special(self, node)
        else:
            parts, size = [_type_id(type(node))], 1
            for field, value in ast.iter_fields(node):
                if field not in _SKIP_FIELDS:
                    child_hash, child_size = self.value(value)
                    parts.append(child_hash)
                    size += child_size
            node_hash = hash(tuple(parts))
        if isinstance(node, _EMITTED_EXPRESSIONS):
            self.emit(node_hash, node, size)
        return node_hash, size

    def name(self, node: ast.Name) -> tuple[int, int]:
        return (_type_id(ast.Name) if node.id in self.bound else token_id(node.id)), 1

    def attribute(self, node: ast.Attribute) -> tuple[int, int]:
        value_hash, size = self.expr(node.value)
        attr = 0 if node.attr in self.bound else token_id(node.attr)
        return hash((_type_id(ast.Attribute), value_hash, attr)), size + 1

    def constant(self, node: ast.Constant) -> tuple[int, int]:
        value = node.value
        if value is None or isinstance(value, bool):
            return token_id(repr(value)), 1
        if isinstance(value, str):  # disguises keep messages; look-alike siblings differ in them
            return token_id("<S>" + value), 1
        return token_id(type(value).__name__), 1

    def binop(self, node: ast.BinOp) -> tuple[int, int]:
        left, left_size = self.expr(node.left)
        right, right_size = self.expr(node.right)
        if isinstance(node.op, _COMMUTATIVE) and right < left:
            left, right = right, left
        return hash((_type_id(ast.BinOp), _type_id(type(node.op)), left, right)), \
            1 + left_size + right_size

    def compare(self, node: ast.Compare) -> tuple[int, int]:
        if len(node.ops) != 1:
            parts, size = self.value([node.left, *node.comparators])
            return hash((_type_id(ast.Compare), parts)), size + 1
        op = node.ops[0]
        left, left_size = self.expr(node.left)
        right, right_size = self.expr(node.comparators[0])
        kind = _CMP_CLASS[type(op)]
        if isinstance(op, _FLIPPED) or (kind in (_EQUAL, _IDENTITY) and right < left):
            left, right = right, left
        return hash((kind, left, right)), 1 + left_size + right_size

    def unary(self, node: ast.UnaryOp) -> tuple[int, int]:
        operand, size = self.expr(node.operand)
        if isinstance(node.op, ast.Not):  # polarity-free: tests and their negation match
            return operand, size
        return hash((_type_id(type(node.op)), operand)), size + 1

    def boolop(self, node: ast.BoolOp) -> tuple[int, int]:
        hashes, size = [], 1
        for value in node.values:
            value_hash, value_size = self.expr(value)
            hashes.append(value_hash)
            size += value_size
        return hash((_type_id(ast.BoolOp), *sorted(hashes))), size


_SPECIAL = {ast.Name: _Shapes.name, ast.Attribute: _Shapes.attribute,
            ast.Constant: _Shapes.constant, ast.BinOp: _Shapes.binop,
            ast.Compare: _Shapes.compare, ast.UnaryOp: _Shapes.unary,
            ast.BoolOp: _Shapes.boolop}


def _statement_kind(node: ast.stmt) -> type:
    # while and if hold a test alike (loop rewrites turn one into the other)
    return ast.If if isinstance(node, ast.While) else type(node)


def _header_fields(node: ast.stmt) -> list[object]:
    fields = []
    for field, value in ast.iter_fields(node):
        if field in _BODY_FIELDS or field in _SKIP_FIELDS:
            continue
        if field == "name" and isinstance(value, str):
            continue  # a def's own name is bound, erased
        fields.append(value)
    return fields


def _is_docstring(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))
