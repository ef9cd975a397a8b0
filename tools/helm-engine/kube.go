package main

import (
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// kubeTarget names the cluster `lookup` reads, resolved as kubectl resolves it.
type kubeTarget struct {
	Kubeconfig string  `json:"kubeconfig"`
	Context    string  `json:"context"`
	QPS        float32 `json:"qps"`
	Burst      int     `json:"burst"`
}

func (k kubeTarget) restConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if k.Kubeconfig != "" {
		paths := filepath.SplitList(k.Kubeconfig)
		if len(paths) == 1 {
			rules.ExplicitPath = paths[0]
		} else {
			rules.Precedence = paths
		}
	}
	overrides := &clientcmd.ConfigOverrides{}
	if k.Context != "" {
		overrides.CurrentContext = k.Context
	}
	config, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, err
	}
	if k.QPS > 0 {
		config.QPS = k.QPS
	}
	if k.Burst > 0 {
		config.Burst = k.Burst
	}
	config.UserAgent = strings.Join([]string{"pyhelm-helm-engine", config.UserAgent}, " ")
	return config, nil
}
