//go:build tools

// Package tools pins Flux's source-controller v1.9.6, which the controller tests run
// out of cluster beside the local control plane: it fetches charts from OCI registries
// and Helm repositories and serves them as artifacts on 127.0.0.1.
package tools

import _ "github.com/fluxcd/source-controller"
