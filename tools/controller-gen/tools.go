//go:build tools

// Package tools pins controller-gen (sigs.k8s.io/controller-tools), which generates the
// HelmRelease CRD from the Go types of github.com/fluxcd/helm-controller/api (see
// tools/helmrelease-crd).
package tools

import _ "sigs.k8s.io/controller-tools/cmd/controller-gen"
