"""The one YAML loader for configs and recipes: bounded by bytes, values, depth and time.

libyaml scans and parses; composition runs here, in Python, so that every node is counted as it
is made: the scalar bytes and the nodes the document would have once its aliases are expanded
(an alias weighs what its anchor weighs, each time it is used: that is what anything walking the
data pays), the nesting depth, and a deadline. Construction then turns values Python refuses
(integers past 4,300 digits, impossible dates) into a refusal at their line. Refusals never
quote the document beyond a short, escaped name.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import yaml
from yaml._yaml import CParser
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from oumi_mcp_server.core.echo import short

MAX_EXPANDED_BYTES = 2_000_000
MAX_EXPANDED_NODES = 20_000  # the largest Oumi recipe has ~1,600; oumi's own checks slow past this
MAX_DEPTH = 64
DEADLINE_S = 5.0
_MAX_INT_BITS = 14_000  # ~4,200 decimal digits: Python refuses to print longer integers
# What YAML 1.1 allows in a stream (the same set PyYAML's reader accepts).
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


@dataclass
class YamlRefused(Exception):
    """Why the YAML was not loaded, where (1-based), and how to fix it."""

    code: str
    message: str
    fix: str
    line: int | None = None
    column: int | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)


def _at(mark: Any) -> tuple[int | None, int | None]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


class _GuardedLoader(CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """CSafeLoader with a Python composer that weighs what it builds (see the module doc)."""

    def __init__(self, text: str, deadline_s: float) -> None:
        CParser.__init__(self, text)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.anchors: dict[str, Node] = {}
        self._weight: dict[int, tuple[int, int]] = {}  # id(node) -> (bytes, nodes), expanded
        self._depth = 0
        self._aliases = 0
        self._deadline = time.monotonic() + deadline_s

    def _next(self) -> Any:
        return self.get_event()

    def _peek(self) -> Any:
        return self.peek_event()

    def _resolve(self, kind: type[Node], value: str | None, implicit: Any) -> str:
        return str(self.resolve(kind, value, implicit))  # type: ignore[no-untyped-call]

    def get_single_node(self) -> Node | None:
        self.get_event()  # stream start
        node = None
        if not self.check_event(StreamEndEvent):
            self.get_event()  # document start
            node = self._compose(None, None)
            self.get_event()  # document end
        if not self.check_event(StreamEndEvent):
            raise YamlRefused(
                "yaml_multiple_documents",
                "The file holds more than one YAML document (`---`).",
                "Keep one config per file.",
                *_at(self._peek().start_mark),
            )
        return node

    def _compose(self, parent: Node | None, index: Any) -> Node:
        if time.monotonic() > self._deadline:
            raise YamlRefused(
                "yaml_timeout",
                f"Reading the YAML took over {DEADLINE_S:g} s; refused.",
                "Simplify the config.",
            )
        if self.check_event(AliasEvent):
            return self._alias()
        event = self._peek()
        anchor = event.anchor
        if anchor is not None and anchor in self.anchors:
            raise yaml.composer.ComposerError(
                None, None, f"duplicate anchor &{short(anchor)}", event.start_mark
            )
        self.descend_resolver(parent, index)
        node: Node
        if self.check_event(ScalarEvent):
            event = self._next()
            tag = event.tag
            if tag is None or tag == "!":
                tag = self._resolve(ScalarNode, event.value, event.implicit)
            node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            if anchor is not None:
                self.anchors[anchor] = node
            self._weight[id(node)] = (len(event.value), 1)
        else:
            node = self._compose_collection(anchor)
        self.ascend_resolver()
        return node

    def _alias(self) -> Node:
        """The anchored node, shared (its weight counts again where it is used)."""
        event = self._next()
        node = self.anchors.get(event.anchor)
        if node is None:
            raise yaml.composer.ComposerError(
                None, None, f"undefined alias *{short(event.anchor)}", event.start_mark
            )
        if id(node) not in self._weight:
            raise YamlRefused(
                "yaml_recursive_alias",
                "An alias refers to a node that contains it: the data would be infinite.",
                "Remove the alias (*name) inside its own anchor (&name).",
                *_at(event.start_mark),
            )
        self._aliases += 1
        return node

    def _compose_collection(self, anchor: str | None) -> Node:
        start = self._next()
        mapping = isinstance(start, MappingStartEvent)
        if not mapping and not isinstance(start, SequenceStartEvent):
            raise yaml.composer.ComposerError(None, None, "unexpected event", start.start_mark)
        kind: type[Node] = MappingNode if mapping else SequenceNode
        tag = start.tag
        if tag is None or tag == "!":
            tag = self._resolve(kind, None, start.implicit)
        node: MappingNode | SequenceNode
        if mapping:
            node = MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        else:
            node = SequenceNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YamlRefused(
                "yaml_too_deep",
                f"The YAML nests deeper than {MAX_DEPTH} levels.",
                "Flatten the config.",
                *_at(start.start_mark),
            )
        size, count = 0, 1
        end = MappingEndEvent if mapping else SequenceEndEvent
        index = 0
        while not self.check_event(end):
            children = [self._compose(node, None if mapping else index)]
            if mapping:
                children.append(self._compose(node, None))
                node.value.append((children[0], children[1]))
            else:
                node.value.append(children[0])
            for child in children:
                child_size, child_count = self._weight[id(child)]
                size, count = size + child_size, count + child_count
            self._check_weight(size, count, start.start_mark)
            index += 1
        node.end_mark = self._next().end_mark
        self._depth -= 1
        self._weight[id(node)] = (size, count)
        return node

    def _check_weight(self, size: int, count: int, mark: Any) -> None:
        if size <= MAX_EXPANDED_BYTES and count <= MAX_EXPANDED_NODES:
            return
        how = "expands through anchors and aliases to" if self._aliases else "holds"
        raise YamlRefused(
            "yaml_alias_bomb" if self._aliases else "config_too_complex",
            f"The YAML {how} more than {MAX_EXPANDED_NODES:,} values or "
            f"{MAX_EXPANDED_BYTES:,} bytes of text; refused.",
            "Remove the nested aliases (*name) or write the values out."
            if self._aliases
            else "Pass the Oumi config itself, not data.",
            *_at(mark),
        )

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        """Values Python refuses to build become a refusal at their line, not a crash."""
        try:
            data = super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            raise self._bad_value(node, exc) from None
        if isinstance(data, int) and data.bit_length() > _MAX_INT_BITS:
            raise self._bad_value(node, None)
        return data

    @staticmethod
    def _bad_value(node: Node, exc: Exception | None) -> YamlRefused:
        kind = str(node.tag).rsplit(":", 1)[-1]
        if kind == "int":
            what = "an integer with more than 4,300 digits"
        elif kind == "timestamp":
            what = f"an impossible date or time ({short(exc, 60)})"
        else:
            what = f"a value that cannot be read as {short(kind)} ({short(exc, 60)})"
        return YamlRefused(
            "yaml_bad_value",
            f"The YAML holds {what}.",
            "Fix the value at the given line (quote it to keep it as text).",
            *_at(node.start_mark),
        )


def _refuse_control_characters(text: str) -> None:
    found = _NOT_PRINTABLE.search(text)
    if found is None:
        return
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    raise YamlRefused(
        "yaml_control_character",
        f"The YAML holds a non-printable character (U+{ord(found.group()):04X}); YAML allows "
        "only printable text, tabs and line breaks.",
        "Remove the character at the given line and column.",
        line,
        column,
    )


def _syntax(exc: yaml.YAMLError) -> YamlRefused:
    if isinstance(exc, yaml.MarkedYAMLError):
        problem = short(exc.problem or "invalid YAML", 120)
        context = f" ({short(exc.context, 80)})" if exc.context else ""
        return YamlRefused(
            "yaml_syntax",
            f"YAML syntax error: {problem}{context}",
            "Fix the YAML at the given line and column (indentation, quotes, ':').",
            *_at(exc.problem_mark or exc.context_mark),
        )
    return YamlRefused("yaml_syntax", f"YAML error: {short(exc, 120)}", "Fix the YAML.")


def load_yaml(text: str, deadline_s: float = DEADLINE_S) -> tuple[Any, Node | None]:
    """The data and the root node of one YAML document; YamlRefused when it is unsafe or bad."""
    _refuse_control_characters(text)
    loader = _GuardedLoader(text, deadline_s)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    except yaml.YAMLError as exc:
        raise _syntax(exc) from None
    except RecursionError:
        raise YamlRefused(
            "yaml_too_deep", f"The YAML nests deeper than {MAX_DEPTH} levels.", "Flatten it."
        ) from None
    finally:
        loader.dispose()
