//go:build tools

// Package tools pins SeaweedFS, whose `weed mini` is the S3-compatible server the
// chart repository storage tests run against on 127.0.0.1.
package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
