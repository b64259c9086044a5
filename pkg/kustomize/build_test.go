package kustomize

import (
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

func ids(t *testing.T, docs [][]byte) []string {
	var out []string
	for _, d := range docs {
		var o struct {
			Kind     string `json:"kind"`
			Metadata struct{ Name, Namespace string }
		}
		if err := yaml.Unmarshal(d, &o); err != nil {
			t.Fatal(err)
		}
		out = append(out, o.Kind+"/"+o.Metadata.Namespace+"/"+o.Metadata.Name)
	}
	sort.Strings(out)
	return out
}

// TestBuildMatchesKrusty: on a kustomization nobody on the team wrote (the
// Pod Security webhook's, shipped in k8s.io/pod-security-admission) and on
// an overlay with a patch and a component, Build
// gives the object set kustomize's own build gives, and every origin is a
// file of the tree.
func TestBuildMatchesKrusty(t *testing.T) {
	var dirs []string
	for _, m := range []struct{ mod, sub string }{{"k8s.io/pod-security-admission", "webhook/manifests"}} {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", m.mod).Output()
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, filepath.Join(strings.TrimSpace(string(out)), m.sub))
	}
	dirs = append(dirs, "testdata/tree/overlays/prod")
	for _, dir := range dirs {
		want, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
		if err != nil {
			t.Fatalf("%s: krusty: %v", dir, err)
		}
		var wantDocs [][]byte
		for _, r := range want.Resources() {
			y, _ := r.AsYAML()
			wantDocs = append(wantDocs, y)
		}
		got, err := Build(dir)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		var gotDocs [][]byte
		for _, r := range got {
			gotDocs = append(gotDocs, r.YAML)
			if strings.Contains(string(r.YAML), originAnnotation) {
				t.Errorf("%s: the origin annotation reaches the object", dir)
			}
			if r.Origin != "" {
				if _, err := filesys.MakeFsOnDisk().ReadFile(filepath.Join(dir, r.Origin)); err != nil {
					t.Errorf("%s: origin %s is not a file: %v", dir, r.Origin, err)
				}
			}
		}
		if g, w := strings.Join(ids(t, gotDocs), " "), strings.Join(ids(t, wantDocs), " "); g != w {
			t.Errorf("%s:\n got %s\nwant %s", dir, g, w)
		}
		t.Logf("%s: %d objects", dir, len(got))
	}
}

// TestPatchDeleteAndRemote: a component's $patch: delete removes its
// target and is never an object; a remote base is refused, not fetched.
func TestPatchDeleteAndRemote(t *testing.T) {
	got, err := Build("testdata/tree/overlays/prod")
	if err != nil {
		t.Fatal(err)
	}
	var docs [][]byte
	for _, r := range got {
		docs = append(docs, r.YAML)
	}
	if g := strings.Join(ids(t, docs), " "); g != "Deployment/prod/web" {
		t.Errorf("objects %s, want only the Deployment (the component deletes the Service)", g)
	}
	if !strings.Contains(string(docs[0]), "privileged: true") || got[0].Origin != "../../base/deployment.yaml" {
		t.Errorf("the overlay's patch or the origin is lost: %s %s", got[0].Origin, docs[0])
	}
	if !IsComponent("testdata/tree/components/debug") {
		t.Error("a Component is not recognised")
	}
	_, err = Build("testdata/remote")
	if err == nil || !strings.Contains(err.Error(), "is a remote base; guardrail does not fetch") {
		t.Errorf("remote base: %v", err)
	}
}
