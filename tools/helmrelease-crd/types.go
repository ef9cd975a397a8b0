// Package helmreleasecrd pins the Go types of Flux's HelmRelease API
// (github.com/fluxcd/helm-controller/api v1.7.1), from which controller-gen generates
// charts/pyhelm-controller/crds/helm.toolkit.fluxcd.io_helmreleases.yaml
// (pyhelm.testing.crd_gen). The module needs Go 1.27: the go command runs with
// GOTOOLCHAIN=go1.27.3, which it takes from the Go module proxy.
package helmreleasecrd

import (
	_ "github.com/fluxcd/helm-controller/api/v2"
	_ "github.com/fluxcd/helm-controller/api/v2beta1"
	_ "github.com/fluxcd/helm-controller/api/v2beta2"
)
