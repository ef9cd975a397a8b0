package main

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"sigs.k8s.io/yaml"
)

type releaseOptions struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Revision  int    `json:"revision"`
	IsUpgrade bool   `json:"isUpgrade"`
}

type capabilities struct {
	KubeVersion string   `json:"kubeVersion"`
	APIVersions []string `json:"apiVersions"`
	// Cluster: the API versions are the cluster's (replace the defaults), not extras.
	Cluster bool `json:"cluster"`
}

type renderOptions struct {
	SkipSchemaValidation bool `json:"skipSchemaValidation"`
	SubchartNotes        bool `json:"subchartNotes"`
	Objects              bool `json:"objects"` // also return each manifest as JSON
	EnableDNS            bool `json:"enableDNS"`
}

type manifestOut struct {
	Name       string          `json:"name"`
	Content    string          `json:"content"`
	Kind       string          `json:"kind"`
	APIVersion string          `json:"apiVersion"`
	ObjectName string          `json:"objectName"`
	Object     json.RawMessage `json:"object,omitempty"`
}

type hookOut struct {
	manifestOut
	Events         []string `json:"events"`
	Weight         int      `json:"weight"`
	DeletePolicies []string `json:"deletePolicies"`
}

type crdOut struct {
	Filename string `json:"filename"`
	Data     string `json:"data"`
}

func buildCapabilities(c capabilities) (*common.Capabilities, error) {
	caps := common.DefaultCapabilities.Copy()
	if c.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(c.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("invalid kube version '%s': %s", c.KubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	if c.Cluster {
		caps.APIVersions = common.VersionSet(c.APIVersions)
	} else {
		caps.APIVersions = append(caps.APIVersions, c.APIVersions...)
	}
	return caps, nil
}

// prepare loads the chart and computes what its templates see, as `helm install`
// (and `helm template`) do before rendering.
func prepare(req request) (*chartv2.Chart, map[string]any, common.Values, *common.Capabilities, error) {
	chart, err := loader.Load(req.ChartPath)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if err := checkChartType(chart); err != nil {
		return nil, nil, nil, nil, err
	}
	vals, err := req.Values.merge()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if vals, err = req.Values.applyReuse(chart, vals); err != nil {
		return nil, nil, nil, nil, err
	}
	if chart.Metadata.Dependencies != nil {
		if err := checkDependencies(chart); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	if err := chartutil.ProcessDependencies(chart, vals); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("chart dependencies processing failed: %w", err)
	}
	caps, err := buildCapabilities(req.Capabilities)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if chart.Metadata.KubeVersion != "" &&
		!chartutil.IsCompatibleRange(chart.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return nil, nil, nil, nil, fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s",
			chart.Metadata.KubeVersion, caps.KubeVersion.Version)
	}
	options := common.ReleaseOptions{
		Name:      req.Release.Name,
		Namespace: req.Release.Namespace,
		Revision:  req.Release.Revision,
		IsInstall: !req.Release.IsUpgrade,
		IsUpgrade: req.Release.IsUpgrade,
	}
	if options.Revision == 0 {
		options.Revision = 1
	}
	toRender, err := util.ToRenderValuesWithSchemaValidation(chart, vals, options, caps,
		req.Render.SkipSchemaValidation)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return chart, vals, toRender, caps, nil
}

func checkChartType(chart *chartv2.Chart) error {
	if chart.Metadata.Type != "" && chart.Metadata.Type != "application" {
		return fmt.Errorf("%s charts are not installable", chart.Metadata.Type)
	}
	return nil
}

// checkDependencies is Helm's action.CheckDependencies: every declared dependency
// must be present under charts/.
func checkDependencies(chart *chartv2.Chart) error {
	var missing []string
OUTER:
	for _, dependency := range chart.Metadata.Dependencies {
		for _, present := range chart.Dependencies() {
			if present.Name() == dependency.Name {
				continue OUTER
			}
		}
		missing = append(missing, dependency.Name)
	}
	if len(missing) > 0 {
		return fmt.Errorf("an error occurred while checking for chart dependencies. You may need to run 'helm dependency build' to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: %s",
			strings.Join(missing, ", "))
	}
	return nil
}

func render(req request) (response, error) {
	chart, vals, toRender, _, err := prepare(req)
	if err != nil {
		return response{}, err
	}
	var files map[string]string
	if req.Kube != nil {
		config, err := req.Kube.restConfig()
		if err != nil {
			return response{}, err
		}
		e := engine.New(config)
		e.EnableDNS = req.Render.EnableDNS
		files, err = e.Render(chart, toRender)
		if err != nil {
			return response{}, err
		}
	} else {
		var e engine.Engine
		e.EnableDNS = req.Render.EnableDNS
		if files, err = e.Render(chart, toRender); err != nil {
			return response{}, err
		}
	}
	if err := checkOutputSize(files, req.Limits.MaxOutputBytes); err != nil {
		return response{}, err
	}
	out := response{Config: vals, Notes: takeNotes(files, chart.Name(), req.Render.SubchartNotes),
		Deprecated: chart.Metadata.Deprecated}
	order, err := sortManifests(files, releaseutil.InstallOrder)
	if err != nil {
		return response{}, err
	}
	hooks, manifests := order.hooks, order.manifests
	out.SkippedHooks = order.skipped
	out.Manifests = make([]manifestOut, len(manifests))
	out.Hooks = make([]hookOut, len(hooks))
	failures := make([]error, len(manifests)+len(hooks))
	inParallel(len(manifests)+len(hooks), func(i int) {
		if i < len(manifests) {
			out.Manifests[i], failures[i] = describe(manifests[i], req.Render.Objects)
			return
		}
		h := hooks[i-len(manifests)]
		item, err := describe(h.document, req.Render.Objects)
		out.Hooks[i-len(manifests)] = hookOut{manifestOut: item, Events: h.events,
			Weight: h.weight, DeletePolicies: h.policies}
		failures[i] = err
	})
	for _, err := range failures {
		if err != nil {
			return response{}, err
		}
	}
	for _, crd := range chart.CRDObjects() {
		out.CRDs = append(out.CRDs, crdOut{Filename: crd.Filename, Data: string(crd.File.Data)})
	}
	return out, nil
}

func checkOutputSize(files map[string]string, limit int) error {
	if limit <= 0 {
		return nil
	}
	total := 0
	for _, content := range files {
		total += len(content)
	}
	if total > limit {
		return fmt.Errorf("rendered output is %d bytes, more than the limit of %d", total, limit)
	}
	return nil
}

// takeNotes removes every NOTES.txt from the rendered files and returns the top chart's
// (with subchart notes too when asked), as Helm's renderResources does.
func takeNotes(files map[string]string, chartName string, subchartNotes bool) string {
	var names []string
	for name := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var notes strings.Builder
	for _, name := range names {
		if subchartNotes || name == path.Join(chartName, "templates", "NOTES.txt") {
			if notes.Len() > 0 {
				notes.WriteString("\n")
			}
			notes.WriteString(files[name])
		}
		delete(files, name)
	}
	return notes.String()
}

// describe is a document as pyhelm is given it; its object too (as JSON) when asked.
func describe(d *document, withObject bool) (manifestOut, error) {
	out := manifestOut{Name: d.path, Content: d.content, Kind: d.head.Kind,
		APIVersion: d.head.Version}
	if d.head.Metadata != nil {
		out.ObjectName = d.head.Metadata.Name
	}
	if withObject {
		object, err := yaml.YAMLToJSON([]byte(d.content))
		if err != nil {
			return out, fmt.Errorf("YAML parse error on %s: %w", d.path, err)
		}
		out.Object = object
	}
	return out, nil
}
