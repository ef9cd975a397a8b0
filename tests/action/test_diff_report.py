"""helm-diff's report, built in: the outputs below are those helm-diff's own tests expect
(its diff package, v3.15.11) for the same inputs, plus the manifest indexing and key
order it relies on."""

from __future__ import annotations

import pytest

from pyhelm.action.diff_lines import diff_lines
from pyhelm.action.diff_manifests import Spec, go_key_order, parse
from pyhelm.action.diff_report import ReportOptions, compare, render
from pyhelm.errors import UsageError

TEXT1 = "\n".join(f"line{i}" for i in range(1, 11))
TEXT2 = TEXT1.replace("line1\n", "line1 - different!\n").replace(
    "line2\n", "line2 - different!\n").replace("line8\n", "line8 - different!\n")
TEXT3 = "\r\n".join(f"line{i}" for i in range(1, 10)) + "\r\nline10"


def one(key: str, kind: str, content: str, policy: str = "") -> dict[str, Spec]:
    return {key: Spec(key, kind, content, policy)}


def printed(old: dict[str, Spec], new: dict[str, Spec], **options: object) -> str:
    chosen = ReportOptions(**options)  # type: ignore[arg-type]
    return render(compare(old, new, chosen), chosen, color=False)


def lines_only(old: str, new: str, context: int, strip_cr: bool = False) -> str:
    """The lines helm-diff prints for one changed object (its header dropped)."""
    text = printed(one("k", "ConfigMap", old), one("k", "ConfigMap", new), context=context,
                   strip_trailing_cr=strip_cr)
    return text.split("\n", 1)[1] if text else ""


@pytest.mark.parametrize(("context", "expected"), [
    (-1, "- line1\n- line2\n+ line1 - different!\n+ line2 - different!\n  line3\n  line4\n"
         "  line5\n  line6\n  line7\n- line8\n+ line8 - different!\n  line9\n  line10\n"),
    (0, "- line1\n- line2\n+ line1 - different!\n+ line2 - different!\n...\n- line8\n"
        "+ line8 - different!\n...\n"),
    (1, "- line1\n- line2\n+ line1 - different!\n+ line2 - different!\n  line3\n...\n"
        "  line7\n- line8\n+ line8 - different!\n  line9\n...\n"),
    (2, "- line1\n- line2\n+ line1 - different!\n+ line2 - different!\n  line3\n  line4\n"
        "...\n  line6\n  line7\n- line8\n+ line8 - different!\n  line9\n  line10\n"),
])
def test_context_lines_as_helm_diff(context: int, expected: str) -> None:
    assert lines_only(TEXT1, TEXT2, context) == expected


def test_carriage_returns() -> None:
    kept = lines_only(TEXT1, TEXT3, 0)
    assert kept.startswith("- line1\n- line2\n") and "+ line9\r\n...\n" in kept
    assert printed(one("k", "ConfigMap", TEXT1), one("k", "ConfigMap", TEXT3), context=0,
                   strip_trailing_cr=True) == ""  # no change left: no entry at all


DEPLOY_BETA = "\napiVersion: apps/v1beta1\nkind: Deployment\nmetadata:\n  name: nginx\n"
DEPLOY = "\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nginx\n"
DEPLOY_SPEC = DEPLOY + "spec:\n  replicas: 3\n"
KEY = "default, nginx, Deployment (apps)"


def test_changed_removed_kept_simple_and_json() -> None:
    old, new = one(KEY, "Deployment", DEPLOY_BETA), one(KEY, "Deployment", DEPLOY)
    assert printed(old, new, context=10) == (
        "default, nginx, Deployment (apps) has changed:\n\n- apiVersion: apps/v1beta1\n"
        "+ apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: nginx\n\n")
    assert printed(new, new) == ""
    assert printed(new, {}, context=10) == (
        "default, nginx, Deployment (apps) has been removed:\n\n- apiVersion: apps/v1\n"
        "- kind: Deployment\n- metadata:\n-   name: nginx\n- \n")
    assert printed(one(KEY, "Deployment", DEPLOY, "keep"), {}) == ""
    assert printed(old, new, output="simple") == (
        "default, nginx, Deployment (apps) to be changed.\n"
        "Plan: 0 to add, 1 to change, 0 to destroy, 0 to change ownership.\n")
    assert printed(new, new, output="simple") == (
        "Plan: 0 to add, 0 to change, 0 to destroy, 0 to change ownership.\n")
    assert printed(old, new, output="json") == (
        '[{\n  "api": "apps",\n  "kind": "Deployment",\n  "namespace": "default",\n'
        '  "name": "nginx",\n  "change": "MODIFY"\n}]\n')
    assert printed({}, {}, output="json") == "[]\n"


def test_suppressed_lines_and_kinds() -> None:
    old, new = one(KEY, "Deployment", DEPLOY_BETA), one(KEY, "Deployment", DEPLOY_SPEC)
    assert printed(old, new, context=10, suppress_output_line_regex=("apiVersion",)) == (
        "default, nginx, Deployment (apps) has changed:\n\n  kind: Deployment\n"
        "  metadata:\n    name: nginx\n+ spec:\n+   replicas: 3\n\n")
    assert printed(old, one(KEY, "Deployment", DEPLOY), context=10,
                   suppress_output_line_regex=("apiVersion",)) == (
        "default, nginx, Deployment (apps) has changed, but diff is empty after "
        "suppression.\n")
    assert printed(old, new, suppressed_kinds=("Deployment",)) == (
        "default, nginx, Deployment (apps) has changed:\n"
        "+ Changes suppressed on sensitive content of type Deployment\n")
    report = compare(old, new, ReportOptions(suppressed_kinds=("Deployment",)))
    assert report.changed  # suppressed, still a change for --detailed-exitcode


def test_renames_found_within_a_kind() -> None:
    renamed = DEPLOY_SPEC.replace("name: nginx", "name: nginx-renamed")
    text = printed(one(KEY, "Deployment", DEPLOY_SPEC),
                   one("default, nginx-renamed, Deployment (apps)", "Deployment", renamed),
                   context=10, find_renames=0.5)
    assert text == ("default, nginx, Deployment (apps) has changed:\n\n  apiVersion: apps/v1\n"
                    "  kind: Deployment\n  metadata:\n-   name: nginx\n+   name: nginx-renamed\n"
                    "  spec:\n    replicas: 3\n\n")


SECRET = ("\napiVersion: v1\nkind: Secret\nmetadata:\n  name: foobar\ntype: Opaque\ndata:\n"
          "  key1: dmFsdWUx\n  key2: dmFsdWUy\n  key3: dmFsdWUz\n")
SECRET_CHANGED = ("\napiVersion: v1\nkind: Secret\nmetadata:\n  name: foobar\ntype: Opaque\n"
                  "data:\n  key1: dmFsdWUxY2hhbmdlZA==\n  key2: dmFsdWUy\n  key4: dmFsdWU0\n")
STRING_SECRET = ("\napiVersion: v1\nkind: Secret\nmetadata:\n  name: foobar\ntype: Opaque\n"
                 "stringData:\n  key1: value1\n  key2: value2\n  key3: value3\n")
STRING_SECRET_CHANGED = STRING_SECRET.replace("value1", "value1changed").replace(
    "key3: value3", "key4: value4")
SECRET_KEY = "default, foobar, Secret (v1)"
REDACTED = ("default, foobar, Secret (v1) has changed:\n  apiVersion: v1\n  kind: Secret\n"
            "  metadata:\n    name: foobar\n  data:\n-   key1: '-------- # (6 bytes)'\n"
            "+   key1: '++++++++ # (13 bytes)'\n    key2: 'REDACTED # (6 bytes)'\n"
            "-   key3: '-------- # (6 bytes)'\n+   key4: '++++++++ # (6 bytes)'\n"
            "  type: Opaque\n\n")


@pytest.mark.parametrize(("before", "after"), [(SECRET, SECRET_CHANGED),
                                               (STRING_SECRET, STRING_SECRET_CHANGED)])
def test_secrets_redacted_as_helm_diff(before: str, after: str) -> None:
    assert printed(one(SECRET_KEY, "Secret", before), one(SECRET_KEY, "Secret", after),
                   context=10, find_renames=0.5) == REDACTED


def test_secrets_decoded_or_shown() -> None:
    decoded = printed(one(SECRET_KEY, "Secret", SECRET), one(SECRET_KEY, "Secret",
                                                             SECRET_CHANGED),
                      show_secrets_decoded=True)
    assert "-   key1: value1\n+   key1: value1changed\n    key2: value2\n" in decoded
    assert "stringData:" in decoded  # decoded values are not renamed back to data
    shown = printed(one(SECRET_KEY, "Secret", SECRET), one(SECRET_KEY, "Secret",
                                                           SECRET_CHANGED), show_secrets=True)
    assert "-   key1: dmFsdWUx\n+   key1: dmFsdWUxY2hhbmdlZA==\n" in shown


def test_unknown_outputs_are_one_line_errors() -> None:
    with pytest.raises(UsageError, match="--output dyff: pyhelm's built-in diff prints"):
        compare({}, {}, ReportOptions(output="dyff"))


MANIFEST = """---
# Source: web/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
data:
  a: "1"
---
# Source: web/templates/deploy.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: other
  annotations:
    helm-diff/base-name: web-base
    helm.sh/resource-policy: keep
---
# Source: web/templates/only-comments.yaml
# nothing here
---
# Source: web/templates/list.yaml
apiVersion: v1
kind: ConfigMapList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: from-list
---
# Source: web/templates/test.yaml
apiVersion: v1
kind: Pod
metadata:
  name: web-test
  annotations:
    helm.sh/hook: test
---
# Source: web/templates/dup.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
"""


def test_manifests_indexed_as_helm_diff_indexes_them() -> None:
    warnings: list[str] = []
    index = parse(MANIFEST, "team", warn=warnings.append)
    assert sorted(index) == ["other, web-base, Deployment (apps)",
                             "team, from-list, ConfigMap (v1)", "team, web, ConfigMap (v1)"]
    assert index["team, web, ConfigMap (v1)"].content.startswith(
        "# Source: web/templates/cm.yaml\napiVersion: v1")
    assert index["other, web-base, Deployment (apps)"].resource_policy == "keep"
    assert warnings == ['Error: Found duplicate key "team, web, ConfigMap (v1)" in manifest']
    with_tests = parse(MANIFEST, "team", excluded_hooks=(), warn=warnings.append)
    assert "team, web-test, Pod (v1)" in with_tests


def test_go_yaml_key_order() -> None:
    keys = ["key10", "key2", "key1", "a-b", "a1", "ab", "A", "b"]
    assert list(go_key_order(dict.fromkeys(keys))) == [
        "A", "a-b", "a1", "ab", "b", "key1", "key2", "key10"]


def test_line_diff_prefers_helm_diffs_alignment() -> None:
    assert diff_lines(["a", "b", "a"], ["a"]) == [(" ", "a"), ("-", "b"), ("-", "a")]
    assert diff_lines(["x"], ["a", "x", "b", "x"]) == [
        ("+", "a"), ("+", "x"), ("+", "b"), (" ", "x")]
