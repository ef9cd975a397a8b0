"""What Helm logs on standard error while a command runs (a deprecated chart, a hook it
leaves out), told by pyhelm as Python warnings: a library caller sees or filters them
as any warning; the command line prints each as Helm's log line (``cli.helm_log``)."""

from __future__ import annotations

import warnings


class Notice(UserWarning):
    """A message Helm logs at ``level``, with the attributes it adds (``key=value``)."""

    level = "INFO"

    def __init__(self, message: str, **attributes: str) -> None:
        super().__init__(message)
        self.attributes = attributes


class ChartDeprecated(Notice):
    """The chart is marked deprecated in its Chart.yaml."""

    level = "WARN"

    def __init__(self) -> None:
        super().__init__("this chart is deprecated")


class UnknownHookSkipped(Notice):
    """An object whose ``helm.sh/hook`` names an event Helm does not know is left out."""

    def __init__(self, hook_types: str) -> None:
        super().__init__("skipping unknown hooks", hookTypes=hook_types)


def tell(notice: Notice) -> None:
    warnings.warn(notice, stacklevel=3)
