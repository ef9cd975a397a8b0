"""A process of its own leaves some start-up work to first use (``pyhelm.cli.start_up``,
issue 26): the stand-ins must still be taken by the libraries installed here, and behave
as what they stand for once used; short flags are spelled out without changing what
click reads."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import click
import pytest

from pyhelm.cli.pflag import normalize
from pyhelm.cli.start_up import DeferredModule, LazyPattern, forget_patterns

PROBE = textwrap.dedent("""
    import re, sys
    from pyhelm.cli.start_up import DeferredModule, LazyPattern, lighten
    done = lighten("template")
    import jinja2.utils, tempfile, yaml.reader
    from pyhelm.engine import deadline
    print(isinstance(yaml.reader.Reader.NON_PRINTABLE, LazyPattern),
          isinstance(jinja2.utils._http_re, LazyPattern),
          isinstance(tempfile, DeferredModule), "ctypes" in sys.modules, end=" ")
    print(yaml.reader.Reader.NON_PRINTABLE.search("ab\\x01").start(),
          jinja2.utils.urlize("see https://example.com"), end=" ")
    print(tempfile.gettempdir() == tempfile.tempdir, type(tempfile).__name__, end=" ")
    done()
    print(any(isinstance(p, LazyPattern) for p in vars(re)["_cache"].values()))
""")


def test_the_installed_libraries_take_the_stand_ins() -> None:
    """A new PyYAML or Jinja2 that compiles another pattern would silently lose the
    saving: this says so."""
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True).stdout.split(" ")
    assert out[:4] == ["True", "True", "True", "False"]
    assert out[4] == "2"
    assert '<a href="https://example.com"' in " ".join(out)
    assert out[-3:] == ["True", "module", "False\n"]


PROBE_MORE = textwrap.dedent("""
    import datetime
    from pyhelm.cli.start_up import LazyPattern, lighten
    done = lighten("template")
    import yaml
    print(isinstance(yaml.constructor.SafeConstructor.timestamp_regexp, LazyPattern),
          end=" ")
    print(yaml.safe_load("a: 2024-01-02")["a"] == datetime.date(2024, 1, 2), end=" ")
    done()
""")


def test_pyyaml_s_timestamp_pattern_waits_for_use() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE_MORE], capture_output=True,
                         text=True, check=True).stdout.split(" ")
    assert out == ["True", "True", ""]


def test_a_lazy_pattern_compiles_once_used() -> None:
    pattern = LazyPattern((str, r"a(b+)", 0))
    assert pattern.match("abbc").group(1) == "bb"
    assert pattern.pattern == "a(b+)"
    forget_patterns()


def test_a_deferred_module_loads_on_first_look_up() -> None:
    from importlib.util import find_spec, module_from_spec

    spec = find_spec("colorsys")
    assert spec is not None
    module = module_from_spec(spec)
    module.__class__ = DeferredModule
    assert module.__name__ == "colorsys" and "rgb_to_hsv" not in vars(module)
    assert module.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    assert type(module) is not DeferredModule
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


PARAMS = [click.Option(["-n", "--namespace"]), click.Option(["-A", "--all-namespaces"],
                                                              is_flag=True),
          click.Option(["--set"], multiple=True), click.Option(["-q"], is_flag=True)]


@pytest.mark.parametrize(("words", "expected"), [
    (["-A", "-n", "ns"], ["--all-namespaces", "--namespace", "ns"]),
    (["--set", "-A", "-A"], ["--set", "-A", "--all-namespaces"]),  # a value stays
    (["-n", "-A"], ["--namespace", "-A"]),
    (["-n"], ["-n"]),  # a missing value: click's error names the flag as typed
    (["-q", "-A"], ["-q", "--all-namespaces"]),  # no long spelling
    (["-An", "-A"], ["-An", "-A"]),  # a cluster may take the next word
    (["-nx", "-A"], ["-nx", "-A"]),
    (["--", "-A"], ["--", "-A"]),
    (["name", "-A"], ["name", "--all-namespaces"]),
])
def test_short_flags_are_spelled_out(words: list[str], expected: list[str]) -> None:
    assert normalize(PARAMS, words, spell_out=True) == expected
    assert normalize(PARAMS, words) == words  # a group's words are left alone


@pytest.mark.parametrize("words", [["-A", "-n", "ns"], ["--set", "-A", "-A"],
                                   ["-n", "-A"], ["-q", "-A", "x"], ["-An", "-A"]])
def test_click_reads_spelled_out_words_the_same(words: list[str]) -> None:
    @click.command()
    @click.option("-n", "--namespace")
    @click.option("-A", "--all-namespaces", is_flag=True)
    @click.option("--set", multiple=True)
    @click.option("-q", is_flag=True)
    @click.argument("rest", nargs=-1)
    def command(**kwargs: object) -> None:
        seen.append(kwargs)

    seen: list[dict[str, object]] = []
    for given in (words, normalize(command.params, words, spell_out=True)):
        command.main(given, standalone_mode=False)
    assert seen[0] == seen[1]
