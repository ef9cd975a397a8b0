#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kube-scheduler into $1, stamped with
# the pinned release so /version answers truthfully. CGO off; -p can be lowered with
# PYHELM_GO_PARALLEL when memory is short.
set -euo pipefail
out=${1:?usage: build.sh OUTDIR}
cd "$(dirname "$0")"
version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' go.mod)
major=${version#v}; major=${major%%.*}
minor=${version#v*.}; minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
export CGO_ENABLED=0
for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
  echo "building $cmd $version" >&2
  go build -p "${PYHELM_GO_PARALLEL:-2}" -trimpath -ldflags "$ldflags" -o "$out/$cmd" "k8s.io/kubernetes/cmd/$cmd"
done
