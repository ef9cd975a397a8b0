"""Where user values come from, as one options object shared by every verb."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Helm's engine only: a Jinja2 chart's render needs none of it
    from pyhelm.engine.helm_inputs import ValueSources


@dataclass(frozen=True, kw_only=True)
class ValueOptions:
    """``-f`` files, a mapping from library callers, then the ``--set*`` flags."""

    values_files: tuple[str, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)
    set_values: tuple[str, ...] = ()
    set_string_values: tuple[str, ...] = ()
    set_file_values: tuple[str, ...] = ()
    set_json_values: tuple[str, ...] = ()
    set_literal_values: tuple[str, ...] = ()

    def merged(self) -> dict[str, Any]:
        from pyhelm.chart.values import merge_overrides

        # one accumulator, as Helm's MergeValues: --set a[1]=x edits a list from a file
        return merge_overrides(
            self.values_files, self.set_values, self.set_string_values, self.set_file_values,
            self.set_json_values, self.set_literal_values, mapping=self.values)

    def is_empty(self) -> bool:
        return not (self.values_files or self.values or self.set_values
                    or self.set_string_values or self.set_file_values
                    or self.set_json_values or self.set_literal_values)

    def sources(self) -> ValueSources:
        """The same sources unparsed, for Helm's engine to parse with Helm's rules."""
        from pyhelm.chart.values import read_values_text
        from pyhelm.engine.helm_inputs import ValueSources

        files = tuple((name, read_values_text(name)) for name in self.values_files)
        stdin = None
        if any(spec.partition("=")[2].strip() == "-" for spec in self.set_file_values):
            import sys

            stdin = sys.stdin.read()
        return ValueSources(files=files, mapping=dict(self.values),
                            set_json=self.set_json_values, set=self.set_values,
                            set_string=self.set_string_values, set_file=self.set_file_values,
                            set_literal=self.set_literal_values, stdin=stdin)
