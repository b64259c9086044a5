// Package kustomize builds Kustomize directories with kustomize's own
// library (krusty), as `kustomize build` does, offline: a remote base is
// an error that says so, never a fetch.
package kustomize

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// originAnnotation is where kustomize records the file a resource came
// from when buildMetadata asks for originAnnotations.
const originAnnotation = "config.kubernetes.io/origin"

// Resource is one built object.
type Resource struct {
	// Origin is the file the object came from, relative to the built
	// directory ("../base/deployment.yaml"); empty when kustomize made it
	// (a generated ConfigMap).
	Origin string
	// YAML is the object as kustomize builds it.
	YAML []byte
}

// Kustomization returns the kustomization file in dir, or "".
func Kustomization(dir string) string {
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, n)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// IsComponent reports whether the kustomization in dir is a Component:
// an input of other kustomizations, which cannot be built alone.
func IsComponent(dir string) bool {
	data, err := os.ReadFile(Kustomization(dir))
	if err != nil {
		return false
	}
	var k struct {
		Kind string `json:"kind"`
	}
	return yaml.Unmarshal(data, &k) == nil && k.Kind == types.ComponentKind
}

// Build builds the kustomization in dir. Each resource names the file it
// came from (origin annotations, which Build asks kustomize for and then
// removes, so they never reach the rules).
func Build(dir string) ([]Resource, error) {
	fs := &offline{FileSystem: filesys.MakeFsOnDisk(), root: Kustomization(dir)}
	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	m, err := krusty.MakeKustomizer(opts).Run(fs, dir)
	if err != nil {
		if fs.remote != nil {
			return nil, fs.remote
		}
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var out []Resource
	for _, r := range m.Resources() {
		var origin string
		if o, err := r.GetOrigin(); err == nil && o != nil && o.Repo == "" {
			origin = o.Path
		}
		anns := r.GetAnnotations()
		delete(anns, originAnnotation)
		if err := r.SetAnnotations(anns); err != nil {
			return nil, err
		}
		y, err := r.AsYAML()
		if err != nil {
			return nil, err
		}
		out = append(out, Resource{Origin: origin, YAML: y})
	}
	return out, nil
}

// offline is the disk, with two changes kustomize's library offers no
// option for: the root kustomization asks for origin annotations, and a
// kustomization that names a remote base is refused before kustomize
// would run git.
type offline struct {
	filesys.FileSystem
	root   string
	remote error
}

func (f *offline) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || !isKustomization(path) {
		return data, err
	}
	var k map[string]any
	if yaml.Unmarshal(data, &k) != nil {
		return data, nil // kustomize reports the syntax error itself
	}
	for _, field := range []string{"resources", "bases", "components"} {
		list, _ := k[field].([]any)
		for _, e := range list {
			if s, ok := e.(string); ok && remote(s) {
				f.remote = fmt.Errorf("%s: %s %q is a remote base; guardrail does not fetch (vendor it, or scan the output of kustomize build)", path, field, s)
				return nil, f.remote
			}
		}
	}
	if abs, _ := filepath.Abs(path); abs != absOf(f.root) {
		return data, nil
	}
	meta, _ := k["buildMetadata"].([]any)
	for _, m := range meta {
		if m == types.OriginAnnotations {
			return data, nil
		}
	}
	k["buildMetadata"] = append(meta, types.OriginAnnotations)
	return yaml.Marshal(k)
}

func absOf(p string) string {
	a, _ := filepath.Abs(p)
	return a
}

func isKustomization(path string) bool {
	base := filepath.Base(path)
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		if base == n {
			return true
		}
	}
	return false
}

// remote reports whether a resource entry names something kustomize would
// fetch: a URL, a git or hosted-repository address.
func remote(s string) bool {
	return strings.Contains(s, "://") || strings.HasPrefix(s, "git@") || strings.HasPrefix(s, "github.com/") ||
		strings.HasPrefix(s, "gitlab.com/") || strings.HasPrefix(s, "bitbucket.org/") || strings.Contains(s, "?ref=")
}
