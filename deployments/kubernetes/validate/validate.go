package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// DefaultPartitions is the partition count of the outbox topic
// (docker-compose.yml, KAFKA_NUM_PARTITIONS) and the default of the
// statistics-projector's increments topic (STATISTICS_INCREMENTS_PARTITIONS).
const DefaultPartitions = 12

// Options tune the checks.
type Options struct {
	// Partitions of the outbox topic; 0 means DefaultPartitions.
	Partitions int
}

// Problem is one thing wrong with the manifests.
type Problem struct {
	// Kustomization is the directory rendered, relative to the root.
	Kustomization string
	// Object is Kind/name, or a file.
	Object string
	Msg    string
}

func (p Problem) String() string {
	return fmt.Sprintf("kustomization %s: %s: %s", p.Kustomization, p.Object, p.Msg)
}

// Report is what Validate found.
type Report struct {
	// Kustomizations rendered, relative to the root.
	Kustomizations []string
	// Objects counts the distinct objects rendered, by kind.
	Objects  map[string]int
	Problems []Problem
}

// Summary is one line for a valid tree.
func (r Report) Summary() string {
	kinds := make([]string, 0, len(r.Objects))
	total := 0
	for k, n := range r.Objects {
		kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
		total += n
	}
	sort.Strings(kinds)
	return fmt.Sprintf("valid: kustomizations %s; %d objects (%s); no cluster contacted",
		strings.Join(r.Kustomizations, ", "), total, strings.Join(kinds, ", "))
}

// Validate renders and checks every kustomization under root. The error
// is for what stops it from checking (no kustomization, unreadable tree);
// what is wrong with the manifests is in the Report's Problems.
func Validate(root string, opts Options) (Report, error) {
	if opts.Partitions == 0 {
		opts.Partitions = DefaultPartitions
	}
	dirs, err := kustomizationDirs(root)
	if err != nil {
		return Report{}, err
	}
	if len(dirs) == 0 {
		return Report{}, fmt.Errorf("%s: no kustomization.yaml", root)
	}
	rep := Report{Kustomizations: dirs, Objects: map[string]int{}}
	seen := map[string]bool{}    // problems already reported, by object and message
	counted := map[string]bool{} // objects already counted, by kind/namespace/name
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	fsys := filesys.MakeFsOnDisk()
	for _, dir := range dirs {
		var probs []Problem
		add := func(object, format string, args ...any) {
			msg := fmt.Sprintf(format, args...)
			if key := object + "\x00" + msg; !seen[key] {
				seen[key] = true
				probs = append(probs, Problem{Kustomization: dir, Object: object, Msg: msg})
			}
		}
		abs := filepath.Join(root, dir)
		checkFiles(abs, add)
		resources, err := k.Run(fsys, abs)
		if err != nil {
			add("kustomization.yaml", "kustomize build: %v", err)
			rep.Problems = append(rep.Problems, probs...)
			continue
		}
		set := newObjectSet()
		for _, r := range resources.Resources() {
			data, err := r.MarshalJSON()
			if err != nil {
				add(r.GetKind()+"/"+r.GetName(), "rendering: %v", err)
				continue
			}
			id := r.GetKind() + "/" + r.GetNamespace() + "/" + r.GetName()
			if !counted[id] {
				counted[id] = true
				rep.Objects[r.GetKind()]++
			}
			set.decode(r.GetApiVersion(), r.GetKind(), r.GetName(), data, add)
		}
		if set.undecodable == 0 {
			checkRules(set, opts, add)
		}
		rep.Problems = append(rep.Problems, probs...)
	}
	return rep, nil
}

// kustomizationDirs lists the directories under root with a
// kustomization.yaml, relative to root, skipping Go modules (this
// validator) and hidden directories.
func kustomizationDirs(root string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, "kustomization.yaml")); err == nil {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			dirs = append(dirs, rel)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	slices.Sort(dirs)
	return dirs, err
}
