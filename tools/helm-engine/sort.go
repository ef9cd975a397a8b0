package main

import (
	"fmt"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	release "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"sigs.k8s.io/yaml"
)

// The outcome of Helm's releaseutil.SortManifests (hooks and manifests in install
// order), worked out with the documents' heads read on every core. Helm reads them one
// after another, with a full YAML-to-JSON parse each: three quarters of helm-engine's
// time on a chart of thousands of objects. What is read, the errors, the order and the
// hooks are Helm's: tests/engine/test_manifest_order.py compares with Helm itself.

// document is one YAML document of a rendered file, its head read.
type document struct {
	path    string
	content string
	head    releaseutil.SimpleHead
	err     error
}

type sortedHook struct {
	document *document
	events   []string
	weight   int
	policies []string
}

// hookEvents are the values of helm.sh/hook Helm knows ("test-success": Helm 2's).
var hookEvents = map[string]bool{
	string(release.HookPreInstall): true, string(release.HookPostInstall): true,
	string(release.HookPreDelete): true, string(release.HookPostDelete): true,
	string(release.HookPreUpgrade): true, string(release.HookPostUpgrade): true,
	string(release.HookPreRollback): true, string(release.HookPostRollback): true,
	string(release.HookTest): true, "test-success": true,
}

// sorted is a render's hooks and manifests in install order, and the helm.sh/hook
// values of the objects left out for naming an event Helm does not know.
type sorted struct {
	hooks     []sortedHook
	manifests []*document
	skipped   []string
}

// sortManifests splits the rendered files into documents in Helm's reading order (files
// by path, partials and blank files skipped, documents in file order), reads every head,
// and returns the first unreadable document's error as Helm words it.
func sortManifests(files map[string]string, ordering releaseutil.KindSortOrder) (
	sorted, error) {
	documents := splitDocuments(files)
	inParallel(len(documents), func(i int) {
		d := documents[i]
		d.err = yaml.Unmarshal([]byte(d.content), &d.head)
	})
	var out sorted
	for _, d := range documents {
		if d.err != nil {
			return sorted{}, fmt.Errorf("YAML parse error on %s: %w", d.path, d.err)
		}
		annotations := map[string]string(nil)
		if d.head.Metadata != nil {
			annotations = d.head.Metadata.Annotations
		}
		events, isHook := annotations[release.HookAnnotation]
		if !isHook {
			out.manifests = append(out.manifests, d)
		} else if hook, known := readHook(d, events, annotations); known {
			out.hooks = append(out.hooks, hook)
		} else {
			out.skipped = append(out.skipped, events)
		}
	}
	byKind := rankKinds(ordering)
	sort.SliceStable(out.hooks, func(i, j int) bool {
		return byKind.less(out.hooks[i].document.head.Kind, out.hooks[j].document.head.Kind)
	})
	sort.SliceStable(out.manifests, func(i, j int) bool {
		return byKind.less(out.manifests[i].head.Kind, out.manifests[j].head.Kind)
	})
	return out, nil
}

func splitDocuments(files map[string]string) []*document {
	paths := make([]string, 0, len(files))
	for name := range files {
		paths = append(paths, name)
	}
	sort.Strings(paths)
	var documents []*document
	for _, name := range paths {
		content := files[name]
		if strings.HasPrefix(path.Base(name), "_") || strings.TrimSpace(content) == "" {
			continue
		}
		entries := releaseutil.SplitManifests(content)
		keys := make([]string, 0, len(entries))
		for key := range entries {
			keys = append(keys, key)
		}
		sort.Sort(releaseutil.BySplitManifestsOrder(keys))
		for _, key := range keys {
			documents = append(documents, &document{path: name, content: entries[key]})
		}
	}
	return documents
}

// readHook reads a hook's events, weight and delete policies; a hook naming an event
// Helm does not know is left out altogether, as Helm leaves it.
func readHook(d *document, events string, annotations map[string]string) (sortedHook, bool) {
	hook := sortedHook{document: d, events: []string{}, policies: []string{}}
	for _, event := range strings.Split(events, ",") {
		event = strings.ToLower(strings.TrimSpace(event))
		if !hookEvents[event] {
			return hook, false
		}
		if event == "test-success" {
			event = string(release.HookTest)
		}
		hook.events = append(hook.events, event)
	}
	if weight, err := strconv.Atoi(annotations[release.HookWeightAnnotation]); err == nil {
		hook.weight = weight
	}
	if policies, ok := annotations[release.HookDeleteAnnotation]; ok {
		for _, policy := range strings.Split(policies, ",") {
			hook.policies = append(hook.policies, strings.ToLower(strings.TrimSpace(policy)))
		}
	}
	return hook, true
}

// kindRanks orders kinds as Helm's install order does: listed kinds by their place in
// the list (the last place, when one is listed twice), then the others by name.
type kindRanks map[string]int

func (r kindRanks) less(a, b string) bool {
	rankA, listedA := r[a]
	rankB, listedB := r[b]
	switch {
	case listedA && listedB:
		return rankA < rankB
	case listedA != listedB:
		return listedA
	default:
		return a < b
	}
}

func rankKinds(ordering releaseutil.KindSortOrder) kindRanks {
	ranks := make(kindRanks, len(ordering))
	for rank, kind := range ordering {
		ranks[kind] = rank
	}
	return ranks
}

// inParallel calls work(0) … work(n-1) on as many goroutines as there are cores.
func inParallel(n int, work func(int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			work(i)
		}
		return
	}
	var next atomic.Int64
	var done sync.WaitGroup
	for range workers {
		done.Add(1)
		go func() {
			defer done.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				work(i)
			}
		}()
	}
	done.Wait()
}
