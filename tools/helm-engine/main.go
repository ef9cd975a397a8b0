// helm-engine renders Helm (Go template) charts for pyhelm with Helm's own engine.
//
// One request per process: a JSON object on stdin, a JSON object on stdout. The
// operations are "render" (values merged as Helm's CLI merges them, dependencies
// processed, schema checked, templates rendered, manifests split and sorted into
// Helm's install order and hooks), "lint" (Helm's lint rules), "version" and
// "gotemplate" (a --template flag executed over Helm's own types).
// Errors come back as {"error": "..."} with exit code 0, so pyhelm can tell a
// chart error from a crashed helper.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"
)

type request struct {
	Op           string            `json:"op"`
	ChartPath    string            `json:"chartPath"`
	Release      releaseOptions    `json:"release"`
	Capabilities capabilities      `json:"capabilities"`
	Values       valueSources      `json:"values"`
	Render       renderOptions     `json:"render"`
	Kube         *kubeTarget       `json:"kube,omitempty"`
	Limits       limits            `json:"limits"`
	Lint         lintOptions       `json:"lint"`
	GoTemplate   goTemplateOptions `json:"goTemplate"`
}

type limits struct {
	TimeoutSeconds float64 `json:"timeoutSeconds"`
	MaxOutputBytes int     `json:"maxOutputBytes"`
	MaxMemoryBytes int64   `json:"maxMemoryBytes"`
}

type response struct {
	Error     string         `json:"error,omitempty"`
	Manifests []manifestOut  `json:"manifests,omitempty"`
	Hooks     []hookOut      `json:"hooks,omitempty"`
	CRDs      []crdOut       `json:"crds,omitempty"`
	Notes     string         `json:"notes,omitempty"`
	Config    map[string]any `json:"config,omitempty"`
	Messages  []lintMessage  `json:"messages,omitempty"`
	Version   map[string]any `json:"version,omitempty"`
	Text      string         `json:"text,omitempty"`
}

func main() {
	debug.SetGCPercent(400) // one short-lived render: trade memory for speed
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		reply(response{Error: fmt.Sprintf("helm-engine: unreadable request: %v", err)})
		return
	}
	guard(req.Limits)
	var out response
	var err error
	switch req.Op {
	case "render":
		out, err = render(req)
	case "lint":
		out, err = lintChart(req)
	case "version":
		out = response{Version: versionInfo()}
	case "gotemplate":
		out, err = goTemplate(req.GoTemplate)
	default:
		err = fmt.Errorf("helm-engine: unknown operation %q", req.Op)
	}
	if err != nil {
		out = response{Error: err.Error()}
	}
	reply(out)
}

func reply(out response) {
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "helm-engine: cannot write the reply: %v\n", err)
		os.Exit(2)
	}
}

// guard ends the process with a clear error when a chart renders for too long or
// grows the heap past the limit (a template can loop or build huge strings).
func guard(l limits) {
	if l.TimeoutSeconds > 0 {
		timer := time.AfterFunc(time.Duration(l.TimeoutSeconds*float64(time.Second)), func() {
			abort(fmt.Sprintf("rendering took longer than %gs (the chart may loop forever)",
				l.TimeoutSeconds))
		})
		_ = timer
	}
	if l.MaxMemoryBytes > 0 {
		go func() {
			var stats runtime.MemStats
			for range time.Tick(100 * time.Millisecond) {
				runtime.ReadMemStats(&stats)
				if int64(stats.HeapAlloc) > l.MaxMemoryBytes {
					abort(fmt.Sprintf("rendering used more than %d MiB of memory",
						l.MaxMemoryBytes>>20))
				}
			}
		}()
	}
}

func abort(message string) {
	reply(response{Error: message})
	os.Exit(0)
}
