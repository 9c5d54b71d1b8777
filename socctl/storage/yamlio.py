"""YAML in and out: safe, bounded loading and pydantic validation with file:line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from socctl.errors import InputError

try:  # the C loader is ~10x faster; fall back to pure Python where libyaml is missing
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
    _Dumper: type[yaml.SafeDumper] = yaml.CSafeDumper  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on the build of PyYAML
    _Loader = yaml.SafeLoader
    _Dumper = yaml.SafeDumper

#: Most nodes a document may expand to, counting every alias as a full copy (alias bombs).
MAX_EXPANDED_NODES = 200_000
#: Deepest nesting of collections accepted (socctl's own files nest fewer than 10 levels).
MAX_DEPTH = 100
#: Largest YAML file accepted.
MAX_BYTES = 16 * 1024 * 1024

M = TypeVar("M", bound=BaseModel)


def _too_deep(root: yaml.Node) -> bool:
    """Whether collections nest more than :data:`MAX_DEPTH` levels (checked without recursion:
    building or measuring such a document would exhaust the stack)."""
    stack = [(root, 0)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if id(node) in seen:  # an alias: its node is checked where it is defined
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend(((key, depth + 1), (value, depth + 1)))
    return False


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a recursive alias counts once while we are inside it
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    memo[key] = size
    return size


def compose_node(text: str, source: str) -> yaml.Node | None:
    """Parse text into a YAML node tree (no Python objects yet), refusing alias bombs."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InputError(
            f"not valid YAML: {exc.problem or exc.context}",
            path=source,
            line=line,
            hint="fix the syntax at that line",
        ) from None
    except yaml.YAMLError as exc:  # a control character or bad encoding: one line, its place
        problem = " ".join(str(exc).replace('in "<unicode string>", ', "at ").split())
        raise InputError(f"not valid YAML: {problem}", path=source) from None
    finally:
        loader.dispose()
    if node is not None and _too_deep(node):
        raise InputError(
            f"document nested more than {MAX_DEPTH} levels deep",
            path=source,
            hint="no socctl file nests so deep: check the brackets and indentation",
        )
    if node is not None and _expanded_size(node, {}) > MAX_EXPANDED_NODES:
        raise InputError(
            f"document expands to more than {MAX_EXPANDED_NODES} nodes through aliases",
            path=source,
            hint="remove the repeated anchors/aliases (possible alias bomb)",
        )
    _refuse_duplicate_keys(node, source)
    return node


def load_all_checked(text: str) -> list[Any]:
    """Every document of a multi-document stream (Sigma rule files), each refused like
    :func:`compose_node` refuses one when it nests too deep or expands through aliases into more
    than :data:`MAX_EXPANDED_NODES` nodes. Errors are ``yaml.YAMLError`` (the caller words them)."""
    loader = _Loader(text)
    documents: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            if _too_deep(node):
                raise yaml.YAMLError(f"document nested more than {MAX_DEPTH} levels deep")
            if _expanded_size(node, {}) > MAX_EXPANDED_NODES:
                raise yaml.YAMLError(
                    f"document expands to more than {MAX_EXPANDED_NODES} nodes through aliases"
                    " (possible alias bomb)"
                )
            documents.append(loader.construct_document(node))
    finally:
        loader.dispose()
    return documents


def _refuse_duplicate_keys(node: yaml.Node | None, source: str) -> None:
    """A key given twice in one mapping is an error (YAML would silently keep the last one)."""
    seen_nodes: set[int] = set()
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if id(current) in seen_nodes:
            continue
        seen_nodes.add(id(current))
        if isinstance(current, yaml.MappingNode):
            keys: set[str] = set()
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in keys:
                        raise InputError(
                            f"key '{key.value}' appears twice in the same mapping",
                            path=source,
                            line=key.start_mark.line + 1,
                            hint="keep one of them",
                        )
                    keys.add(key.value)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def _construct(node: yaml.Node | None, source: str) -> Any:
    if node is None:
        return None
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise InputError(
            f"cannot read value: {exc.problem}",
            path=source,
            line=mark.line + 1 if mark else None,
        ) from None
    except ValueError as exc:  # an impossible date such as 2026-02-30
        raise InputError(
            f"impossible value: {exc}",
            path=source,
            line=_first_bad_timestamp(node),
            hint="use a real date as YYYY-MM-DD",
        ) from None
    finally:
        loader.dispose()


def _first_bad_timestamp(node: yaml.Node) -> int | None:
    """The line of the first timestamp scalar that does not make a real date."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.ScalarNode) and current.tag.endswith(":timestamp"):
            try:
                yaml.SafeLoader("").construct_yaml_timestamp(current)
            except ValueError:
                return current.start_mark.line + 1
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))
        elif isinstance(current, yaml.MappingNode):
            stack.extend(v for pair in reversed(current.value) for v in reversed(pair))
    return None


def read_text(path: Path) -> str:
    """Read a UTF-8 text file with a size bound and clear errors."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"file is {size} bytes, more than {MAX_BYTES}", path=path)
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", path=path) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start})", path=path, hint="save the file as UTF-8"
        ) from None
    except PermissionError:
        raise InputError("permission denied", path=path) from None


def parse_yaml(text: str, source: str = "<string>") -> Any:
    """Parse YAML text safely, refusing alias bombs."""
    return _construct(compose_node(text, source), source)


def load_yaml(path: str | Path) -> Any:
    """Load one YAML file safely, refusing alias bombs and oversize files."""
    p = Path(path)
    return parse_yaml(read_text(p), str(p))


def line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """Follow a pydantic error location through the YAML node tree to a line number."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    loc = ".".join(str(p) for p in error["loc"]) or "(document)"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown field '{loc}'", "remove it or check its spelling"
    if kind == "missing":
        return f"missing field '{loc}'", "add it"
    return f"field '{loc}': {error['msg']}", "correct the value"


def validate(model: type[M], data: Any, source: str, node: yaml.Node | None = None) -> M:
    """Validate ``data`` against ``model``; the first error names file, line, field and fix."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        message, hint = _describe(dict(first))
        more = len(exc.errors()) - 1
        if more:
            message += f" (and {more} more error{'s' if more > 1 else ''})"
        raise InputError(
            message, path=source, line=line_of(node, tuple(first["loc"])), hint=hint
        ) from None


def load_model(path: str | Path, model: type[M]) -> M:
    """Load a YAML file and validate it as ``model``."""
    p = Path(path)
    node = compose_node(read_text(p), str(p))
    return validate(model, _construct(node, str(p)), str(p), node)


def parse_model(text: str, model: type[M], source: str) -> M:
    """Parse YAML text and validate it as ``model``."""
    node = compose_node(text, source)
    return validate(model, _construct(node, source), source, node)


class _PlainDumper(_Dumper):  # type: ignore[valid-type,misc]
    """Writes a value shared by several fields in full each time (no ``&id001`` anchors)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(data: Any) -> str:
    """Dump data as readable block-style YAML, keeping key order and Unicode, without aliases."""
    return yaml.dump(data, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100)
