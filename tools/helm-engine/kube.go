package main

import (
	"path/filepath"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// kubeTarget names the cluster `lookup` reads: kubeconfig files merged as kubectl merges
// them (first file wins), then Helm's --kube-* overrides, as pyhelm resolved them.
type kubeTarget struct {
	Kubeconfig    string   `json:"kubeconfig"`
	Context       string   `json:"context"`
	Token         string   `json:"token"`
	Server        string   `json:"server"`
	CAFile        string   `json:"caFile"`
	Insecure      bool     `json:"insecure"`
	TLSServerName string   `json:"tlsServerName"`
	AsUser        string   `json:"asUser"`
	AsGroups      []string `json:"asGroups"`
}

func (k kubeTarget) restConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if k.Kubeconfig != "" {
		if paths := filepath.SplitList(k.Kubeconfig); len(paths) == 1 {
			rules.ExplicitPath = paths[0]
		} else {
			rules.Precedence = paths
		}
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: k.Context}
	overrides.AuthInfo.Token = k.Token
	overrides.AuthInfo.Impersonate = k.AsUser
	overrides.AuthInfo.ImpersonateGroups = k.AsGroups
	overrides.ClusterInfo.Server = k.Server
	overrides.ClusterInfo.CertificateAuthority = k.CAFile
	overrides.ClusterInfo.InsecureSkipTLSVerify = k.Insecure
	overrides.ClusterInfo.TLSServerName = k.TLSServerName
	config, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, err
	}
	config.UserAgent = "pyhelm-helm-engine"
	return config, nil
}
