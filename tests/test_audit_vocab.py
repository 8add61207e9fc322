"""Every kind of change the code can audit has a label in the audit log.

The actions are found by reading the code (``ast``), not by a pattern: every
``audit.record(...)`` call is followed back to the literal strings its action
can be. An action built at run time (an f-string, a concatenation) fails here,
because no one could know its label before it is written.
"""

import ast
import sys
from pathlib import Path

import pytest

from app.vocab import AUDIT_ACTIONS

APP = Path(__file__).resolve().parents[1] / "app"


class Code:
    """Every function of the app, and every call by name, across all modules."""

    def __init__(self):
        self.functions: dict[str, list[tuple[Path, ast.FunctionDef]]] = {}
        self.calls: list[tuple[Path, ast.Call]] = []
        self.trees: dict[Path, ast.Module] = {}
        for path in sorted(APP.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            self.trees[path] = tree
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef):
                    self.functions.setdefault(node.name, []).append((path, node))
                elif isinstance(node, ast.Call):
                    self.calls.append((path, node))

    def calls_to(self, name: str):
        for path, call in self.calls:
            func = call.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called == name:
                yield path, call


def _enclosing_function(tree: ast.Module, target: ast.AST) -> ast.FunctionDef | None:
    found = None
    for node in ast.walk(tree):
        inside = isinstance(node, ast.FunctionDef) and any(n is target for n in ast.walk(node))
        if inside and (found is None or any(n is node for n in ast.walk(found))):
            found = node  # the innermost
    return found


def _argument(call: ast.Call, position: int, keyword: str) -> ast.AST | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[position] if len(call.args) > position else None


def actions_of(code: Code, path: Path, node: ast.AST, where: str, seen: set) -> set[str]:
    """The literal actions ``node`` can evaluate to; AssertionError if it is not knowable."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return actions_of(code, path, node.body, where, seen) | actions_of(
            code, path, node.orelse, where, seen
        )
    if isinstance(node, ast.Name):
        function = _enclosing_function(code.trees[path], node)
        params = [a.arg for a in function.args.args] if function else []
        params += [a.arg for a in function.args.kwonlyargs] if function else []
        assert node.id in params, (
            f"{where}: the action {node.id!r} is neither a literal nor a parameter; "
            "pass the action as a literal string"
        )
        key = (function.name, node.id)
        if key in seen:
            return set()
        seen.add(key)
        position = next(
            (i for i, a in enumerate(function.args.args) if a.arg == node.id), len(params) + 99
        )
        found = set()
        callers = list(code.calls_to(function.name))
        assert callers, f"{where}: nobody calls {function.name}(), so its actions are unknown"
        for caller_path, call in callers:
            value = _argument(call, position, node.id)
            if value is None:
                default = _default(function, node.id)
                assert default is not None, f"{caller_path}:{call.lineno}: no action passed"
                value = default
            found |= actions_of(code, caller_path, value, f"{caller_path}:{call.lineno}", seen)
        return found
    raise AssertionError(
        f"{where}: the audit action is built at run time ({ast.unparse(node)}); "
        "use literal strings so every action has a label"
    )


def _default(function: ast.FunctionDef, name: str) -> ast.AST | None:
    args = function.args
    positional = args.args[len(args.args) - len(args.defaults) :]
    for arg, default in zip(positional, args.defaults, strict=True):
        if arg.arg == name:
            return default
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if arg.arg == name:
            return default
    return None


def recorded_actions() -> set[str]:
    code = Code()
    actions: set[str] = set()
    for path, call in code.calls_to("record"):
        func = call.func
        if not (isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "audit"):
            continue
        node = _argument(call, 0, "action")
        actions |= actions_of(code, path, node, f"{path}:{call.lineno}", set())
    return actions


def test_every_action_the_code_can_record_has_a_label():
    actions = recorded_actions()
    assert len(actions) > 40  # the reader still finds the calls
    assert {
        "booking.checked_in",
        "booking.no_show",
        "booking.booked",
        "booking.declined",
    } <= actions
    assert sorted(actions - set(AUDIT_ACTIONS)) == []


def test_every_label_names_an_action_the_code_records():
    """No label is left behind for an action that is no longer written."""
    assert sorted(set(AUDIT_ACTIONS) - recorded_actions()) == []


def test_an_action_built_at_run_time_is_caught(tmp_path, monkeypatch):
    """The reader itself: an f-string action is refused, not silently skipped."""
    source = tmp_path / "app"
    source.mkdir()
    (source / "x.py").write_text(
        "from . import audit\n"
        "def decide(item, ok):\n"
        "    audit.record(f'thing.{item.status}', 'thing', 1)\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "APP", source)
    with pytest.raises(AssertionError, match="built at run time"):
        recorded_actions()
