package main

import (
	"helm.sh/helm/v4/pkg/chart/common"
)

func versionInfo() map[string]any {
	build := common.DefaultCapabilities.HelmVersion
	return map[string]any{
		"version": build.Version, "gitCommit": build.GitCommit,
		"gitTreeState": build.GitTreeState, "goVersion": build.GoVersion,
		"kubeVersion": common.DefaultCapabilities.KubeVersion.Version,
	}
}
