#!/usr/bin/env bash
# Regenerates go.mod for a pinned Kubernetes release: every staging module that upstream
# replaces with ./staging/... is replaced here by its published v0.X.Y twin.
set -euo pipefail
version=${1:?usage: gen-gomod.sh v1.34.4}
staging=v0.${version#v1.}
cd "$(dirname "$0")"
mod=$(go mod download -json "k8s.io/kubernetes@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
{
  echo "// Wrapper module that builds the local control plane from published Kubernetes modules."
  echo "// Regenerate with tools/k8s/gen-gomod.sh after changing the pinned version."
  echo "module pyhelm.local/tools/k8s"; echo
  grep -E '^go ' "$mod"; echo
  grep -E '^godebug ' "$mod"; echo
  echo "require k8s.io/kubernetes $version"; echo
  echo "replace ("
  sed -n '/^replace (/,/^)/p' "$mod" | grep '=> ./staging' | awk -v v="$staging" '{print "\t"$1" => "$1" "v}'
  echo ")"
} > go.mod
go mod tidy
