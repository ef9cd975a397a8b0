"""Filters and functions charts can call, beyond Jinja's built-ins.

Names follow CHART_FORMAT.md (``toyaml``, ``tojson``, ``b64enc``, ``nindent``,
``required``, ``tpl``, ``lookup``, ``fail`` ...). Their behaviour follows Helm's sprig
functions where a ported chart would notice (``indent`` pads every line, ``toyaml``
has no trailing newline, ``tojson`` sorts keys and does not escape HTML).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import Undefined, pass_context
from jinja2.runtime import Context

from pyhelm import yamlio
from pyhelm.chart import semver

LookupFunc = Callable[[str, str, str, str], dict[str, Any]]


class TemplateFailure(Exception):
    """Raised by ``fail()`` and ``required()``: the chart author's own message."""


def _plain(value: Any) -> Any:
    if isinstance(value, Undefined):
        str(value)  # raises the undefined error with its path
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def toyaml(value: Any) -> str:
    return yamlio.dump(_plain(value)).rstrip("\n")


def tojson(value: Any) -> str:
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fromyaml(text: str) -> Any:
    return yamlio.load(str(text))


def fromjson(text: str) -> Any:
    return json.loads(str(text))


def b64enc(value: Any) -> str:
    data = value if isinstance(value, bytes) else str(value).encode()
    return base64.b64encode(data).decode()


def b64dec(value: Any) -> str:
    try:
        return base64.b64decode(str(value), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError) as exc:
        raise TemplateFailure(f"b64dec: invalid base64 input: {exc}") from exc


def indent(value: Any, width: int = 4) -> str:
    pad = " " * int(width)
    return pad + str(value).replace("\n", "\n" + pad)


def nindent(value: Any, width: int = 4) -> str:
    return "\n" + indent(value, width)


def quote(value: Any) -> str:
    if isinstance(value, Undefined) or value is None:
        return '""'
    return json.dumps(value if isinstance(value, str) else _scalar_text(value),
                      ensure_ascii=False)


def squote(value: Any) -> str:
    if isinstance(value, Undefined) or value is None:
        return "''"
    return f"'{_scalar_text(value)}'"


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def required(value: Any, message: str = "a required value is missing") -> Any:
    if isinstance(value, Undefined) or value is None or value == "":
        raise TemplateFailure(message)
    return value


def fail(message: str) -> None:
    raise TemplateFailure(str(message))


def trunc(value: Any, length: int) -> str:
    text = str(value)
    return text[:length] if length >= 0 else text[length:]


def trimsuffix(value: Any, suffix: str) -> str:
    return str(value).removesuffix(suffix)


def trimprefix(value: Any, prefix: str) -> str:
    return str(value).removeprefix(prefix)


def sha256sum(value: Any) -> str:
    return hashlib.sha256(str(value).encode()).hexdigest()


def semver_compare(constraint: str, version: str) -> bool:
    return semver.Constraint.parse(str(constraint)).allows(semver.Version.parse(str(version)))


def make_tpl(depth_limit: int) -> Callable[..., str]:
    @pass_context
    def tpl(context: Context, text: Any, values: Mapping[str, Any] | None = None) -> str:
        environment = context.environment
        depth = context.get("__tpl_depth__", 0)
        if depth >= depth_limit:
            raise TemplateFailure(f"tpl: nesting deeper than {depth_limit}")
        variables = dict(context.get_all())
        if values is not None:
            variables["Values"] = values
        variables["__tpl_depth__"] = depth + 1
        return environment.from_string(str(text)).render(variables)

    return tpl


def make_lookup(lookup: LookupFunc | None) -> Callable[[str, str, str, str], Any]:
    def lookup_function(api_version: str, kind: str, namespace: str = "", name: str = ""
                        ) -> Any:
        if lookup is None:
            return {}
        return lookup(str(api_version), str(kind), str(namespace), str(name))

    return lookup_function


FILTERS: dict[str, Callable[..., Any]] = {
    "toyaml": toyaml, "tojson": tojson, "fromyaml": fromyaml, "fromjson": fromjson,
    "b64enc": b64enc, "b64dec": b64dec, "indent": indent, "nindent": nindent,
    "quote": quote, "squote": squote, "required": required, "trunc": trunc,
    "trimsuffix": trimsuffix, "trimprefix": trimprefix, "sha256sum": sha256sum,
}
GLOBALS: dict[str, Callable[..., Any]] = {
    "fail": fail, "required": required, "semver_compare": semver_compare,
    "toyaml": toyaml, "tojson": tojson,
}
