//go:build tools

// Package tools pins vegeta, the HTTP load generator of bench/repo_serve.py.
package tools

import _ "github.com/tsenart/vegeta/v12"
