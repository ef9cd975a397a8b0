//go:build tools

// Package tools pins helm-unittest, the `helm unittest` plugin that the tests install
// into pyhelm (`pyhelm plugin install DIR`) and run as `pyhelm unittest CHART`.
package tools

import _ "github.com/helm-unittest/helm-unittest/cmd/helm-unittest"
