"""Release automation with pyhelm's library: install, upgrade, a failed upgrade rolled
back, history, uninstall, with the errors a script should handle.

    python examples/automation.py CHART --namespace NS [--kubeconfig PATH] [--name NAME]

Type-checked by ``mypy --strict`` in ``make lint`` and run against the local control
plane by ``tests/e2e/test_examples.py``. Exits 1 with a one-line message on any error.
"""

from __future__ import annotations

import argparse
import sys

import pyhelm


def deploy(client: pyhelm.Client, name: str, chart: str, replicas: int) -> pyhelm.Release:
    """Install or upgrade, then wait until every object is ready."""
    return client.upgrade(name, chart, install=True, wait=True, timeout="2m",
                          values={"replicaCount": replicas},
                          description=f"automation: {replicas} replicas")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("chart")
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--kubeconfig")
    parser.add_argument("--name", default="automation-demo")
    args = parser.parse_args(argv)
    client = pyhelm.Client(kubeconfig=args.kubeconfig, namespace=args.namespace)
    name: str = args.name
    try:
        first = deploy(client, name, args.chart, replicas=1)
        print(f"revision {first.version}: {first.info.status}")
        second = deploy(client, name, args.chart, replicas=2)
        print(f"revision {second.version}: {second.info.status}")

        try:  # a value the chart's schema refuses: nothing is recorded or applied
            client.upgrade(name, args.chart, values={"replicaCount": "many"})
        except pyhelm.ValuesError as exc:
            print(f"refused: {exc}")

        back = client.rollback(name, first.version, wait=True, timeout="2m")
        print(f"revision {back.version}: {back.info.description}")
        for entry in client.history(name):
            print(f"  {entry.version} {entry.info.status} {entry.info.description}")
        replicas = client.get_values(name).get("replicaCount")
        print(f"values now: replicaCount={replicas}")

        result = client.uninstall(name, wait=True, timeout="2m")
        print(f"uninstalled: {len(result.deleted)} objects deleted")
        try:
            client.status(name)
        except pyhelm.ReleaseNotFoundError:
            print("gone: no release records left")
    except pyhelm.ReleaseInProgressError as exc:
        print(f"another operation holds the release, try again later: {exc}", file=sys.stderr)
        return 1
    except pyhelm.KubeError as exc:
        answer = f"HTTP {exc.status} {exc.reason}".strip() if exc.status else "no answer"
        print(f"cluster error ({answer}): {exc}", file=sys.stderr)
        return 1
    except pyhelm.PyhelmError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
