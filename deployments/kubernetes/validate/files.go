package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// checkFiles checks the files of one kustomization directory: every YAML
// file in it is listed in its kustomization.yaml (kubectl apply -k
// silently skips one that is not), and the listed files have no duplicate
// keys (the renderer keeps one of them without a word).
func checkFiles(dir string, add func(object, format string, args ...any)) {
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		add("kustomization.yaml", "%v", err)
		return
	}
	var k types.Kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		add("kustomization.yaml", "%v", err)
		return
	}
	listed := map[string]bool{}
	for _, group := range [][]string{k.Resources, k.Components, k.Crds} {
		for _, p := range group {
			listed[filepath.Clean(p)] = true
		}
	}
	for _, p := range k.Patches {
		if p.Path != "" {
			listed[filepath.Clean(p.Path)] = true
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		add(dir, "%v", err)
		return
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || name == "kustomization.yaml" ||
			(!strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml")) {
			continue
		}
		if !listed[name] {
			add(name, "not listed in kustomization.yaml: kubectl apply -k would skip it")
			continue
		}
		checkDuplicateKeys(filepath.Join(dir, name), name, add)
	}
}

// checkDuplicateKeys reports a document of file with a key twice in one
// mapping.
func checkDuplicateKeys(file, name string, add func(object, format string, args ...any)) {
	data, err := os.ReadFile(file)
	if err != nil {
		add(name, "%v", err)
		return
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for n := 1; ; n++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			add(name, "document %d: %v", n, err)
			return
		}
		if _, err := yaml.YAMLToJSONStrict(doc); err != nil {
			add(name, "document %d: %v", n, err)
		}
	}
}
