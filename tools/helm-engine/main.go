// helm-engine renders Helm (Go template) charts for pyhelm with Helm's own engine.
//
// One request per process: a JSON object on stdin, a JSON object on stdout; or, with
// --serve, one request after another, each reply one line, for a long-running caller
// (pyhelm's controller) that would otherwise pay the Go runtime's start per render. The
// operations are "render" (values merged as Helm's CLI merges them, dependencies
// processed, schema checked, templates rendered, manifests split and sorted into
// Helm's install order and hooks), "lint" (Helm's lint rules), "version" and
// "gotemplate" (a --template flag executed over Helm's own types).
// Errors come back as {"error": "..."} with exit code 0, so pyhelm can tell a
// chart error from a crashed helper. A request that breaks a limit (time, memory) ends
// the process after its reply, which says so ("exiting"): nothing a runaway render
// left behind is kept for the next request.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
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
	// What Helm logs as it renders: the chart is deprecated; the helm.sh/hook value of
	// each object left out for naming an unknown event
	Deprecated   bool     `json:"deprecated,omitempty"`
	SkippedHooks []string `json:"skippedHooks,omitempty"`
	Exiting      bool     `json:"exiting,omitempty"` // a limit was broken: the process ends
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--serve" {
		serve()
		return
	}
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		reply(response{Error: fmt.Sprintf("helm-engine: unreadable request: %v", err)})
		return
	}
	answer := &answer{}
	defer guard(req.Limits, answer)()
	answer.give(handle(req))
}

// serve answers requests one after another until stdin ends.
func serve() {
	decoder := json.NewDecoder(bufio.NewReaderSize(os.Stdin, 1<<16))
	for {
		var req request
		if err := decoder.Decode(&req); err != nil {
			if err != io.EOF {
				reply(response{Error: fmt.Sprintf("helm-engine: unreadable request: %v", err),
					Exiting: true})
			}
			return
		}
		answer := &answer{}
		stop := guard(req.Limits, answer)
		answer.give(handle(req))
		stop()
	}
}

// answer is one request's reply, given once: by the request, or by a guard that
// stops it (which then ends the process).
type answer struct {
	mu    sync.Mutex
	given bool
}

func (a *answer) give(out response) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.given {
		return false
	}
	a.given = true
	reply(out)
	return true
}

func handle(req request) response {
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
	return out
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
// grows the heap past the limit (a template can loop or build huge strings); the
// function it returns stops guarding once the request is answered.
func guard(l limits, a *answer) func() {
	done := make(chan struct{})
	var timer *time.Timer
	if l.TimeoutSeconds > 0 {
		timer = time.AfterFunc(time.Duration(l.TimeoutSeconds*float64(time.Second)), func() {
			abort(a, fmt.Sprintf("rendering took longer than %gs (the chart may loop forever)",
				l.TimeoutSeconds))
		})
	}
	if l.MaxMemoryBytes > 0 {
		go func() {
			ticker := time.NewTicker(100 * time.Millisecond)
			defer ticker.Stop()
			var stats runtime.MemStats
			for {
				select {
				case <-done:
					return
				case <-ticker.C:
				}
				runtime.ReadMemStats(&stats)
				if int64(stats.HeapAlloc) > l.MaxMemoryBytes {
					abort(a, fmt.Sprintf("rendering used more than %d MiB of memory",
						l.MaxMemoryBytes>>20))
				}
			}
		}()
	}
	return func() {
		if timer != nil {
			timer.Stop()
		}
		close(done)
	}
}

func abort(a *answer, message string) {
	if a.give(response{Error: message, Exiting: true}) {
		os.Exit(0)
	}
}
