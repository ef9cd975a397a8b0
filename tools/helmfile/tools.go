//go:build tools

// Package tools pins helmfile, the declarative client of helm that the tests point at
// pyhelm (`helmfile --helm-binary pyhelm sync|diff|apply|destroy|list`).
package tools

import _ "github.com/helmfile/helmfile"
