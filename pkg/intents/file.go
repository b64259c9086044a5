package intents

import (
	"bytes"
	"fmt"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	yaml "go.yaml.in/yaml/v3"
)

// File is the intents.yaml document.
//
//	apiVersion: guardrail.dev/v1alpha1
//	kind: Intents
//	intents:
//	  - from: shop/frontend          # namespace/workload, or namespace/Kind/name
//	    to: shop/Service/backend     # a Service: ports are service ports
//	    ports: ["8080"]              # number[/protocol] or a port name
//	  - from: shop/worker
//	    to: cidr:203.0.113.0/24      # addresses outside the cluster (NetworkPolicy only)
//	    ports: ["443"]
//	  - from: internet               # or cidr:198.51.100.0/24, namespace:{team=monitoring}, or ingress-controller [NS/NAME]
//	    to: shop/Service/frontend
//	    ports: ["80"]
type File struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	// DNS locates the cluster DNS pods; default kube-system, k8s-app=kube-dns.
	DNS *DNS `yaml:"dns,omitempty"`
	// IngressController locates the ingress controller pods that Ingress
	// backends and "from: ingress-controller" are opened to; default
	// ingress-nginx, app.kubernetes.io/name=ingress-nginx.
	IngressController *DNS `yaml:"ingressController,omitempty"`
	// TrustDomain is the Istio trust domain of principals; default cluster.local.
	TrustDomain string   `yaml:"trustDomain,omitempty"`
	Intents     []Intent `yaml:"intents"`
}

// DNS names the namespace and pod labels of a group of pods outside the
// manifests: the cluster DNS, or the ingress controller.
type DNS struct {
	Namespace string            `yaml:"namespace"`
	Labels    map[string]string `yaml:"labels"`
}

// Intent says that From may call To on Ports.
type Intent struct {
	From  string   `yaml:"from"`
	To    string   `yaml:"to"`
	Ports []string `yaml:"ports"`
	// Line is the intent's line in its file.
	Line int `yaml:"-"`
}

// Parse reads an intents file. Unknown fields and a wrong kind are errors
// with the file and line.
func Parse(name string, data []byte) (*File, error) {
	bad := func(line int, msg, hint string) error {
		return &api.Problem{Location: api.Location{File: name, Line: line}, Message: msg, Hint: hint}
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, bad(0, err.Error(), "see examples/intents.yaml for the format")
	}
	if f.Kind != "Intents" {
		return nil, bad(1, fmt.Sprintf("kind is %q, want Intents", f.Kind), "start the file with apiVersion: guardrail.dev/v1alpha1 and kind: Intents")
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil && len(root.Content) == 1 {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "intents" {
				for j, it := range m.Content[i+1].Content {
					if j < len(f.Intents) {
						f.Intents[j].Line = it.Line
					}
				}
			}
		}
	}
	if f.DNS == nil {
		f.DNS = &DNS{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}}
	}
	if f.IngressController == nil {
		f.IngressController = &DNS{Namespace: "ingress-nginx", Labels: map[string]string{"app.kubernetes.io/name": "ingress-nginx"}}
	}
	if f.TrustDomain == "" {
		f.TrustDomain = "cluster.local"
	}
	return &f, nil
}
