"""The Jinja2 sandbox charts run in.

- Immutable sandbox: no ``__class__``/``__globals__`` style escapes, no mutation of
  values, no file system, environment or network (templates come from memory only).
- Mappings are data first: ``Values.items`` is the value stored under ``items``, never
  the ``dict.items`` method. Iterate a mapping with ``|items`` or ``|dictsort``.
- Testing an absent value is false; printing one raises an error naming its path
  (``Values.image.tag``), via ``PathUndefined``.
- Bounded: string/list repetition, ``**``, output size and wall time are capped, and
  every place a value turns into text (output, ``~``, ``%``, ``format``, calls, filters)
  checks first how much text it would make (``bounds``).
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import update_wrapper
from typing import Any

import jinja2
from jinja2 import BaseLoader, ChainableUndefined, TemplateNotFound
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import TemplateModule
from jinja2.exceptions import SecurityError, TemplateRuntimeError, UndefinedError
from jinja2.nodes import Concat
from jinja2.runtime import Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing

from pyhelm.engine import bounds
from pyhelm.errors import RenderError

# Releases before it let a template (or a chart's file name) escape the sandbox
# (CVE-2024-56201, CVE-2024-56326, CVE-2025-27516); pip keeps an older installed Jinja2
# that satisfies a looser floor, so the version is checked where it is used.
FIXED_JINJA = (3, 1, 6)


def check_jinja_version(version: str) -> None:
    """Refuse a Jinja2 whose sandbox is known to be escapable."""
    numbers = tuple(int(part) for part in version.split(".")[:3] if part.isdigit())
    if numbers < FIXED_JINJA:
        raise RenderError(f"Jinja2 {version} has sandbox escapes (CVE-2024-56201, "
                          "CVE-2024-56326, CVE-2025-27516): pyhelm needs 3.1.6 or newer "
                          "(pip install -U 'jinja2>=3.1.6')")


check_jinja_version(getattr(jinja2, "__version__", "0"))


@dataclass(frozen=True)
class RenderLimits:
    max_output_bytes: int = 64 * 1024 * 1024
    max_seconds: float = 60.0
    max_tpl_depth: int = 20
    max_memory_bytes: int = 512 * 1024 * 1024  # growth of the process while rendering


class PathUndefined(ChainableUndefined):
    """An absent value that remembers how it was reached."""

    __slots__ = ("_path",)

    def __init__(self, hint: str | None = None, obj: Any = missing, name: str | None = None,
                 exc: type[TemplateRuntimeError] = UndefinedError, path: str | None = None) -> None:
        super().__init__(hint, obj, name, exc)
        self._path = path or name or "value"

    def _child(self, name: Any) -> PathUndefined:
        return PathUndefined(name=str(name), path=f"{self._path}.{name}")

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        return self._child(name)

    __getitem__ = _child

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        raise UndefinedError(f"{self._path} is not defined" if self._undefined_hint is None
                             else self._undefined_hint)

    __str__ = _fail_with_undefined_error
    __html__ = _fail_with_undefined_error


class MemoryLoader(BaseLoader):
    """Templates by path relative to the chart's ``templates/`` (no disk access)."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self.sources = sources

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        source = self.sources.get(template)
        if source is None:
            raise TemplateNotFound(template)
        return source, template, lambda: True

    def list_templates(self) -> list[str]:
        return sorted(self.sources)


class _CheckedConcat(CodeGenerator):
    """``a ~ b`` calls the environment's ``concat_checked``, which sizes its parts first (Jinja
    joins them with ``str`` directly)."""

    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        self.write("environment.concat_checked((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class ChartSandbox(ImmutableSandboxedEnvironment):
    """One environment per chart render; ``value_paths`` names mappings for errors."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _CheckedConcat
    # Part of the compiled-template cache's key: raise it when the generated code changes.
    generated_code_version = 2

    def __init__(self, loader: MemoryLoader, limits: RenderLimits) -> None:
        from pyhelm.engine.bytecode_cache import bytecode_cache

        super().__init__(loader=loader, undefined=PathUndefined, trim_blocks=True,
                         lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
                         auto_reload=False, bytecode_cache=bytecode_cache(),
                         finalize=self._finalize)
        self.templates = loader  # the same loader, typed as the MemoryLoader it is
        self.limits = limits
        self.value_paths: dict[int, str] = {}
        self.deadline = time.monotonic() + limits.max_seconds

    def _finalize(self, value: Any) -> Any:
        """Every ``{{ value }}`` passes here before it becomes text."""
        if type(value) is not str:  # most values are text already, which has no bound
            bounds.check_text(value, self.limits.max_output_bytes, "printing the value")
        return value

    def concat_checked(self, parts: tuple[Any, ...]) -> str:
        bounds.check_concatenation(parts, self.limits.max_output_bytes, "~")
        return "".join(map(str, parts))

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise SecurityError(f"rendering took longer than {self.limits.max_seconds:g}s")

    def _mapping_lookup(self, obj: dict[Any, Any], key: Any) -> Any:
        try:
            return obj[key]
        except (KeyError, TypeError):
            parent = self.value_paths.get(id(obj))
            path = f"{parent}.{key}" if parent else str(key)
            return PathUndefined(name=str(key), path=path)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            return self._mapping_lookup(obj, attribute)
        if type(obj) is TemplateModule and attribute[:1] != "_":
            # an imported template's macro (`h.labels`), which the sandbox's checks pass
            # as they pass any name without an underscore that is no str.format
            value = obj.__dict__.get(attribute)
            if type(value) is Macro:
                return value
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if type(obj) is dict:
            return self._mapping_lookup(obj, argument)
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        cap = self.limits.max_output_bytes
        if operator_name == "*":
            bounds.check_repetition(left, right, cap)
            return operator.mul(left, right)
        if operator_name == "**":
            bounds.check_power(left, right, cap)
            return operator.pow(left, right)
        if operator_name == "%":
            bounds.check_printf(left, cap, right)
            return operator.mod(left, right)
        if isinstance(left, str) and isinstance(right, str):
            bounds.check_concatenation((left, right), cap, "+")
        elif isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)) and \
                len(left) + len(right) > bounds.MAX_ITEMS:
            raise SecurityError(f"+ would make more than {bounds.MAX_ITEMS} items")
        return operator.add(left, right)

    def wrap_str_format(self, value: Any) -> Any:
        """str.format and format_map reach templates through here (Jinja's sandbox wraps
        them at access): their widths and arguments are checked before each call."""
        sandboxed = super().wrap_str_format(value)
        if sandboxed is None:
            return None
        template, cap = value.__self__, self.limits.max_output_bytes
        is_map = value.__name__ == "format_map"

        def checked(*args: Any, **kwargs: Any) -> Any:
            if is_map and args and isinstance(args[0], Mapping):
                bounds.check_format_spec(template, cap, (), args[0])
            else:
                bounds.check_format_spec(template, cap, args, kwargs)
            return sandboxed(*args, **kwargs)
        return update_wrapper(checked, value)

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        self.check_time()
        if type(__obj) is Macro:  # safe to call; its arguments are not made into text
            return __context.call(__obj, *args, **kwargs)
        cap = self.limits.max_output_bytes
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            bounds.check_str_method(owner, getattr(__obj, "__name__", ""), args, cap)
        elif not isinstance(__obj, Macro):  # a macro's arguments are not made into text
            bounds.check_arguments(args, kwargs, cap, getattr(__obj, "__name__", "the call"))
        return super().call(__context, __obj, *args, **kwargs)


def index_value_paths(values: Any, root: str, into: dict[int, str]) -> None:
    """Remember the dotted path of every mapping in ``values`` (for error messages)."""
    if isinstance(values, dict):
        into[id(values)] = root
        for key, child in values.items():
            if isinstance(child, (dict, list)):
                index_value_paths(child, f"{root}.{key}", into)
    elif isinstance(values, list):
        for position, child in enumerate(values):
            if isinstance(child, (dict, list)):
                index_value_paths(child, f"{root}[{position}]", into)
