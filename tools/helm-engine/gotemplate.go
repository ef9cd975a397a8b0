package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"k8s.io/client-go/util/jsonpath"

	release "helm.sh/helm/v4/pkg/release/v1"

	"pyhelm.local/helm-engine/version"
)

// goTemplateOptions: a --template flag's text and the data Helm executes it over.
type goTemplateOptions struct {
	Text string `json:"text"`
	// "release": Data is a release record (Helm's JSON), seen as {"Release": *Release},
	// as `helm get all --template` sees it; "version": Data is a BuildInfo, as
	// `helm version --template` sees it; "name": an install's --name-template, with
	// Sprig's functions and no data, as Helm's action.TemplateName runs it;
	// "jsonpath": a Kubernetes JSONPath over Data (a chart's values), as
	// `helm show values --jsonpath` runs it.
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
}

// goTemplate executes a --template text as Helm's CLI does: text/template with no
// extra functions, over Helm's own Go types, so field names, printf verbs and %T are
// Helm's.
func goTemplate(opts goTemplateOptions) (response, error) {
	switch opts.Kind {
	case "name":
		return nameTemplate(opts.Text)
	case "jsonpath":
		return jsonPath(opts.Text, opts.Data)
	}
	tmpl, err := template.New("_").Parse(opts.Text)
	if err != nil {
		return response{}, err
	}
	var data any
	switch opts.Kind {
	case "release":
		var rel release.Release
		if err := json.Unmarshal(opts.Data, &rel); err != nil {
			return response{}, fmt.Errorf("helm-engine: unreadable release: %w", err)
		}
		data = map[string]any{"Release": &rel}
	case "version":
		var info version.BuildInfo
		if err := json.Unmarshal(opts.Data, &info); err != nil {
			return response{}, fmt.Errorf("helm-engine: unreadable version: %w", err)
		}
		data = info
	default:
		return response{}, fmt.Errorf("helm-engine: unknown template data %q", opts.Kind)
	}
	var out strings.Builder
	if err := tmpl.Execute(&out, data); err != nil {
		return response{Text: out.String()}, err
	}
	return response{Text: out.String()}, nil
}

func nameTemplate(text string) (response, error) {
	tmpl, err := template.New("name-template").Funcs(sprig.TxtFuncMap()).Parse(text)
	if err != nil {
		return response{}, err
	}
	var out strings.Builder
	if err := tmpl.Execute(&out, nil); err != nil {
		return response{}, err
	}
	return response{Text: out.String()}, nil
}

func jsonPath(text string, data json.RawMessage) (response, error) {
	path := jsonpath.New("out").AllowMissingKeys(true) // as cli-runtime's printer
	if err := path.Parse(text); err != nil {
		return response{}, fmt.Errorf("error parsing jsonpath %s: %w", text, err)
	}
	var values map[string]any
	if err := json.Unmarshal(data, &values); err != nil {
		return response{}, fmt.Errorf("helm-engine: unreadable values: %w", err)
	}
	var out strings.Builder
	if err := path.Execute(&out, values); err != nil {
		return response{Text: out.String()}, err
	}
	return response{Text: out.String()}, nil
}
