package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/strvals"
)

// valueSources are the user's values exactly as given on Helm's command line, so
// Helm's own parsers decide every type (a --set number is an int64, a file's a float64).
type valueSources struct {
	Files      []namedData     `json:"files"`
	Mapping    json.RawMessage `json:"mapping"` // library callers' values, after the files
	JSON       []string        `json:"setJSON"`
	Set        []string        `json:"set"`
	String     []string        `json:"setString"`
	File       []string        `json:"setFile"`
	Literal    []string        `json:"setLiteral"`
	Stdin      *string         `json:"stdin"`
	Reuse      string          `json:"reuse"` // "", "reuse", "reset-then-reuse", "reset", "default"
	Previous   map[string]any  `json:"previousConfig"`
	PrevValues map[string]any  `json:"previousChartValues"`
}

type namedData struct {
	Name string `json:"name"`
	Data string `json:"data"`
}

// merge is Helm's values.Options.MergeValues with file contents supplied by pyhelm.
func (v valueSources) merge() (map[string]any, error) {
	base := map[string]any{}
	for _, file := range v.Files {
		current, err := loader.LoadValues(strings.NewReader(file.Data))
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s: %w", file.Name, err)
		}
		base = loader.MergeMaps(base, current)
	}
	if len(v.Mapping) > 0 {
		mapping, err := decodeTyped(v.Mapping)
		if err != nil {
			return nil, fmt.Errorf("values given by the caller: %w", err)
		}
		base = loader.MergeMaps(base, mapping)
	}
	for _, value := range v.JSON {
		trimmed := strings.TrimSpace(value)
		if len(trimmed) > 0 && trimmed[0] == '{' {
			var object map[string]any
			if err := json.Unmarshal([]byte(trimmed), &object); err != nil {
				return nil, fmt.Errorf("failed parsing --set-json data JSON: %s", value)
			}
			base = loader.MergeMaps(base, object)
		} else if err := strvals.ParseJSON(value, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set-json data %s", value)
		}
	}
	for _, value := range v.Set {
		if err := strvals.ParseInto(value, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set data: %w", err)
		}
	}
	for _, value := range v.String {
		if err := strvals.ParseIntoString(value, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set-string data: %w", err)
		}
	}
	for _, value := range v.File {
		reader := func(rs []rune) (any, error) {
			path := string(rs)
			if strings.TrimSpace(path) == "-" && v.Stdin != nil {
				return *v.Stdin, nil
			}
			data, err := os.ReadFile(path)
			return string(data), err
		}
		if err := strvals.ParseIntoFile(value, base, reader); err != nil {
			return nil, fmt.Errorf("failed parsing --set-file data: %w", err)
		}
	}
	for _, value := range v.Literal {
		if err := strvals.ParseLiteralInto(value, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set-literal data: %w", err)
		}
	}
	return base, nil
}

// applyReuse is Helm's Upgrade.reuseValues: what an upgrade does with the previous
// release's values. "reuse" also makes the old chart's values the new chart's defaults.
func (v valueSources) applyReuse(chart *chartv2.Chart, newVals map[string]any) (map[string]any, error) {
	switch v.Reuse {
	case "reuse":
		old := &chartv2.Chart{Metadata: &chartv2.Metadata{Name: chart.Name()}, Values: v.PrevValues}
		oldVals, err := util.CoalesceValues(old, copyJSON(v.Previous))
		if err != nil {
			return nil, fmt.Errorf("failed to rebuild old values: %w", err)
		}
		chart.Values = oldVals
		return util.CoalesceTables(newVals, copyJSON(v.Previous)), nil
	case "reset-then-reuse":
		return util.CoalesceTables(newVals, copyJSON(v.Previous)), nil
	case "default":
		if len(newVals) == 0 && len(v.Previous) > 0 {
			return copyJSON(v.Previous), nil
		}
	}
	return newVals, nil
}

func copyJSON(in map[string]any) map[string]any {
	if in == nil {
		return map[string]any{}
	}
	var buffer bytes.Buffer
	_ = json.NewEncoder(&buffer).Encode(in)
	out := map[string]any{}
	_ = json.NewDecoder(&buffer).Decode(&out)
	return out
}

// decodeTyped decodes a Python caller's values keeping its int/float distinction:
// integral literals become int64 (as a Go SDK caller's ints), others float64.
func decodeTyped(raw json.RawMessage) (map[string]any, error) {
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.UseNumber()
	var out map[string]any
	if err := decoder.Decode(&out); err != nil {
		return nil, err
	}
	typed, _ := numbersTyped(out).(map[string]any)
	return typed, nil
}

func numbersTyped(value any) any {
	switch v := value.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		for key, item := range v {
			v[key] = numbersTyped(item)
		}
	case []any:
		for index, item := range v {
			v[index] = numbersTyped(item)
		}
	}
	return value
}
