// Package version holds a twin of Helm's internal version.BuildInfo, so that a
// `version --template` error names the type as Helm's does ("version.BuildInfo").
package version

// BuildInfo has the fields and JSON names of Helm's internal version.BuildInfo.
type BuildInfo struct {
	Version           string `json:"version,omitempty"`
	GitCommit         string `json:"git_commit,omitempty"`
	GitTreeState      string `json:"git_tree_state,omitempty"`
	GoVersion         string `json:"go_version,omitempty"`
	KubeClientVersion string `json:"kube_client_version"`
}
