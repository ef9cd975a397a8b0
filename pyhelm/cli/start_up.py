"""Lighter start-up for a command in a process of its own (issue 26).

Two costs of the libraries a command imports are for features its command does not use:

- regular expressions compiled as a module loads and used by code pyhelm never runs:
  PyYAML's pure-Python reader's check for unprintable characters (3.5-4 ms to compile,
  a character class up to U+10FFFF; pyhelm reads YAML with libyaml), Jinja2's
  ``urlize`` filter's URL pattern (1.5 ms) and PyYAML's timestamp pattern (0.3 ms;
  ``yamlio`` keeps a timestamp's text). (``gettext``'s plural-forms tokenizer, 0.4 ms,
  cannot wait: ``gettext`` hands the compiled pattern to ``re.finditer``, which takes
  no stand-in.) ``LazyPattern`` stands in for each, in
  ``re``'s cache, while the command runs: the library's ``re.compile`` gets it, and it
  compiles the real pattern the first time it is used.
- standard-library modules loaded for a feature the verb does not reach: for
  ``template``, ``tempfile`` (with ``shutil``, 2-3 ms), which Jinja2's bytecode cache
  imports to write a cache file (only after a miss), and ``ipaddress`` (1 ms), which
  ``urllib.parse`` imports for bracketed IPv6 hosts. (``uuid``, 2 ms with ``platform``,
  cannot wait: click subscripts a generic with ``uuid.UUID`` as it loads.)
  ``DeferredModule`` registers each as a module whose code runs on the first look-up
  of one of its attributes.

Either way the objects behave as the real ones once used; ``lighten`` changes nothing
for a module already imported (a library user's, a command server's runner's).
"""

from __future__ import annotations

import re
import sys
import threading
import types

TYPE_CHECKING = False  # not typing's (see pyhelm/__init__)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

# (the importing module, the pattern exactly as it is compiled there, its flags)
_PATTERNS: tuple[tuple[str, str, int], ...] = (
    ("yaml", "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]",
     0),
    ("jinja2", r"""
    ^
    (
        (https?://|www\.)  # scheme or www
        (([\w%-]+\.)+)?  # subdomain
        (
            [a-z]{2,63}  # basic tld
        |
            xn--[\w%]{2,59}  # idna tld
        )
    |
        ([\w%-]{2,63}\.)+  # basic domain
        (com|net|int|edu|gov|org|info|mil)  # basic tld
    |
        (https?://)  # scheme
        (
            (([\d]{1,3})(\.[\d]{1,3}){3})  # IPv4
        |
            (\[([\da-f]{0,4}:){2}([\da-f]{0,4}:?){1,6}])  # IPv6
        )
    )
    (?::[\d]{1,5})?  # port
    (?:[/?#]\S*)?  # path, query, and fragment
    $
    """, re.IGNORECASE | re.VERBOSE),
    ("yaml", r'''^(?P<year>[0-9][0-9][0-9][0-9])
                -(?P<month>[0-9][0-9]?)
                -(?P<day>[0-9][0-9]?)
                (?:(?:[Tt]|[ \t]+)
                (?P<hour>[0-9][0-9]?)
                :(?P<minute>[0-9][0-9])
                :(?P<second>[0-9][0-9])
                (?:\.(?P<fraction>[0-9]*))?
                (?:[ \t]*(?P<tz>Z|(?P<tz_sign>[-+])(?P<tz_hour>[0-9][0-9]?)
                (?::(?P<tz_minute>[0-9][0-9]))?))?)?$''', re.VERBOSE),
)

_DEFERRED_MODULES: dict[str, tuple[str, ...]] = {"template": ("tempfile", "ipaddress")}


class LazyPattern:
    """A compiled regular expression that compiles itself when first used."""

    __slots__ = ("_compiled", "_key")

    def __init__(self, key: tuple[type, str, int]) -> None:
        self._key = key
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            forget_patterns()  # else re.compile would answer with this object again
            compiled = self._compiled = re.compile(self._key[1], self._key[2])
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"LazyPattern({self._key[1]!r})"


def _pattern_cache() -> dict[Any, Any] | None:
    cache = vars(re).get("_cache")
    return cache if isinstance(cache, dict) else None


def forget_patterns() -> None:
    """Take the stand-ins out of ``re``'s cache (those already handed out remain)."""
    cache = _pattern_cache()
    if cache is not None:
        for key in [key for key, value in cache.items() if isinstance(value, LazyPattern)]:
            cache.pop(key, None)


def _lazy_patterns() -> None:
    cache = _pattern_cache()
    if cache is None:
        return
    for package, pattern, flags in _PATTERNS:
        if package not in sys.modules:
            key = (str, pattern, flags)
            cache.setdefault(key, LazyPattern(key))


class DeferredModule(types.ModuleType):
    """A module whose code runs when an attribute it has not yet is first looked up.

    Unlike ``importlib.util.LazyLoader``'s modules (which an ``import`` statement of
    Python 3.11 loads at once: the statement reads ``__spec__``), the module's own
    attributes (``__spec__``, ``__name__``) are there from the start; a lock makes the
    load happen once when threads race for it."""

    def __getattr__(self, name: str) -> Any:
        with _loading:
            if type(self) is DeferredModule and not self.__dict__.get(_LOADING):
                self.__dict__[_LOADING] = True
                try:
                    self.__spec__.loader.exec_module(self)  # type: ignore[union-attr]
                    self.__class__ = types.ModuleType  # type: ignore[assignment]
                finally:
                    self.__dict__.pop(_LOADING, None)
        if type(self) is DeferredModule:  # a look-up while its code runs
            raise AttributeError(f"partially initialized module {self.__name__!r} has "
                                 f"no attribute {name!r}")
        return getattr(self, name)


_LOADING = "__pyhelm_loading__"
_loading = threading.RLock()


def _defer_modules(names: tuple[str, ...]) -> None:
    names = tuple(name for name in names if name not in sys.modules)
    if not names:
        return
    from importlib.util import find_spec, module_from_spec

    for name in names:
        spec = find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            continue
        module = module_from_spec(spec)
        module.__class__ = DeferredModule
        sys.modules[name] = module


def lighten(verb: str | None) -> Callable[[], None]:
    """Set up the stand-ins for a command of ``verb``; returns what takes the patterns'
    stand-ins out of ``re``'s cache when the command is done."""
    _lazy_patterns()
    _defer_modules(_DEFERRED_MODULES.get(verb or "", ()))
    return forget_patterns


def unchanged() -> None:
    """What ``lighten`` returns had it not been called."""
