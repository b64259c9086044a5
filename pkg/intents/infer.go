package intents

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Inferred is an intent guessed from a workload's configuration, with the
// evidence, for review before use.
type Inferred struct {
	Intent
	Evidence []string
}

// Infer guesses intents from Services and the references to them in
// workloads' environment: literal env values, ConfigMap keys an env var
// names, and ConfigMaps loaded whole with envFrom. A reference is a
// Service host name ("api", "api.shop", "api.shop.svc",
// "api.shop.svc.cluster.local"), alone or in a host:port or URL; a bare
// name counts only in the Service's own namespace, and only as the whole
// value, with a port, or after a URL scheme. Without a port every Service port is assumed.
func Infer(inv *inventory.Inventory) []Inferred {
	type svcRef struct {
		svc       *corev1.Service
		qualified bool
	}
	hosts := map[string][]svcRef{} // host name -> services
	configMaps := map[string]map[string]string{}
	var workloads []*inventory.Object
	for _, o := range inv.Objects() {
		switch x := o.Obj.(type) {
		case *corev1.Service:
			if len(x.Spec.Selector) == 0 {
				continue
			}
			hosts[x.Name] = append(hosts[x.Name], svcRef{x, false})
			for _, suffix := range []string{"", ".svc", ".svc.cluster.local"} {
				h := x.Name + "." + x.Namespace + suffix
				hosts[h] = append(hosts[h], svcRef{x, true})
			}
		case *corev1.ConfigMap:
			configMaps[x.Namespace+"/"+x.Name] = x.Data
		}
		if o.Workload != nil && o.Workload.Spec != nil && o.GVK.Kind != "PodTemplate" {
			workloads = append(workloads, o)
		}
	}
	byKey := map[string]*Inferred{}
	var order []string
	for _, o := range workloads {
		ns := o.Namespace()
		from := ns + "/" + o.GVK.Kind + "/" + o.Name()
		for _, v := range envValues(o.Workload.Spec, ns, configMaps) {
			for _, ref := range references(v.value) {
				for _, s := range hosts[ref.host] {
					if !s.qualified && (s.svc.Namespace != ns || !ref.explicit) {
						continue
					}
					if sel := labels.SelectorFromSet(s.svc.Spec.Selector); s.svc.Namespace == ns && sel.Matches(labels.Set(o.Workload.Labels())) {
						continue // its own Service
					}
					to := s.svc.Namespace + "/Service/" + s.svc.Name
					k := from + ">" + to
					in := byKey[k]
					if in == nil {
						in = &Inferred{Intent: Intent{From: from, To: to}}
						byKey[k] = in
						order = append(order, k)
					}
					for _, sp := range s.svc.Spec.Ports {
						if ref.port == 0 || sp.Port == ref.port {
							in.Ports = appendUnique(in.Ports, strconv.Itoa(int(sp.Port)))
						}
					}
					// Only the reference is quoted: values may hold credentials.
					in.Evidence = appendUnique(in.Evidence, v.where+" names "+ref.text)
				}
			}
		}
	}
	sort.Strings(order)
	out := make([]Inferred, 0, len(order))
	for _, k := range order {
		if in := byKey[k]; len(in.Ports) > 0 {
			sort.Strings(in.Ports)
			out = append(out, *in)
		}
	}
	return out
}

type envValue struct{ where, value string }

// envValues lists the environment of every container with where it came from.
func envValues(spec *corev1.PodSpec, ns string, configMaps map[string]map[string]string) []envValue {
	var out []envValue
	cs := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for _, c := range cs {
		for _, e := range c.Env {
			switch {
			case e.Value != "":
				out = append(out, envValue{fmt.Sprintf("container %s env %s", c.Name, e.Name), e.Value})
			case e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil:
				r := e.ValueFrom.ConfigMapKeyRef
				if v, ok := configMaps[ns+"/"+r.Name][r.Key]; ok {
					out = append(out, envValue{fmt.Sprintf("container %s env %s (ConfigMap %s key %s)", c.Name, e.Name, r.Name, r.Key), v})
				}
			}
		}
		for _, ef := range c.EnvFrom {
			if ef.ConfigMapRef == nil {
				continue
			}
			data := configMaps[ns+"/"+ef.ConfigMapRef.Name]
			keys := make([]string, 0, len(data))
			for k := range data {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				out = append(out, envValue{fmt.Sprintf("container %s envFrom ConfigMap %s key %s", c.Name, ef.ConfigMapRef.Name, k), data[k]})
			}
		}
	}
	return out
}

type reference struct {
	host     string
	port     int32
	explicit bool   // the entire value, or with a port or a URL scheme
	text     string // the token as written
}

// references finds host[:port] tokens in a value such as
// "http://api.shop:8080/v1" or "db.data.svc:5432,cache:6379".
func references(v string) []reference {
	var out []reference
	tokens := strings.FieldsFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == ':')
	})
	for _, t := range tokens {
		host, portStr, hasPort := strings.Cut(t, ":")
		var port int32
		if hasPort {
			n, err := strconv.Atoi(portStr)
			if err != nil || n < 1 || n > 65535 {
				continue // "http:" of a URL, or not a port
			}
			port = int32(n)
		}
		host = strings.ToLower(strings.TrimSuffix(host, "."))
		if host == "" {
			continue
		}
		explicit := hasPort || t == strings.TrimSpace(v) || strings.Contains(v, "://"+t)
		out = append(out, reference{host: host, port: port, explicit: explicit, text: t})
	}
	return out
}

// Marshal writes inferred intents as an intents file, each with its
// evidence as a comment.
func Marshal(in []Inferred) []byte {
	var b strings.Builder
	b.WriteString("# Inferred by guardrail from Services and the references to them in workloads'\n")
	b.WriteString("# environment and ConfigMaps. Review before use: a reference is not proof of a call.\n")
	b.WriteString("apiVersion: guardrail.dev/v1alpha1\nkind: Intents\nintents:\n")
	if len(in) == 0 {
		b.WriteString("  []\n")
	}
	for _, i := range in {
		for _, e := range i.Evidence {
			fmt.Fprintf(&b, "  # %s\n", strings.ReplaceAll(e, "\n", " "))
		}
		fmt.Fprintf(&b, "  - from: %s\n    to: %s\n    ports: [%s]\n", i.From, i.To, quoteAll(i.Ports))
	}
	return []byte(b.String())
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}
