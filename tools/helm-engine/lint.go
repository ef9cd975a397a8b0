package main

import (
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
)

type lintOptions struct {
	Namespace string `json:"namespace"`
}

type lintMessage struct {
	Severity string `json:"severity"`
	Path     string `json:"path"`
	Message  string `json:"message"`
}

var severities = map[int]string{
	support.UnknownSev: "UNKNOWN", support.InfoSev: "INFO",
	support.WarningSev: "WARNING", support.ErrorSev: "ERROR",
}

// lint runs Helm's lint rules on a chart directory or archive with merged user values.
func lintChart(req request) (response, error) {
	vals, err := req.Values.merge()
	if err != nil {
		return response{}, err
	}
	var options []lint.LinterOption
	if req.Capabilities.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(req.Capabilities.KubeVersion)
		if err != nil {
			return response{}, err
		}
		options = append(options, lint.WithKubeVersion(kv))
	}
	options = append(options, lint.WithSkipSchemaValidation(req.Render.SkipSchemaValidation))
	result := lint.RunAll(req.ChartPath, vals, req.Lint.Namespace, options...)
	out := response{Messages: []lintMessage{}}
	for _, message := range result.Messages {
		out.Messages = append(out.Messages, lintMessage{
			Severity: severities[message.Severity], Path: message.Path, Message: message.Err.Error()})
	}
	return out, nil
}
