package intents

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Inferred is an intent guessed from a workload's configuration, with the
// evidence, for review before use.
type Inferred struct {
	Intent
	Evidence []string
}

// Infer guesses intents from Services and the references to them in
// workloads' environment and configuration: literal env values, ConfigMap
// keys an env var names, ConfigMaps loaded whole with envFrom, and the
// files of ConfigMaps a container mounts (configMap and projected
// volumes, only the keys mounted). A reference is a
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
		for _, v := range configValues(o.Workload.Spec, ns, configMaps) {
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
	for _, in := range inferEntryPoints(inv) {
		k := in.From + ">" + in.To
		if prev := byKey[k]; prev != nil {
			for _, p := range in.Ports {
				prev.Ports = appendUnique(prev.Ports, p)
			}
			prev.Evidence = append(prev.Evidence, in.Evidence...)
			continue
		}
		byKey[k] = in
		order = append(order, k)
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

// configValues lists the environment and mounted ConfigMap files of every
// container with where each came from.
func configValues(spec *corev1.PodSpec, ns string, configMaps map[string]map[string]string) []envValue {
	var out []envValue
	mounted := mountedConfigMaps(spec)
	cs := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for _, c := range cs {
		for _, vm := range c.VolumeMounts {
			for _, src := range mounted[vm.Name] {
				data := configMaps[ns+"/"+src.Name]
				for _, k := range mountedKeys(data, src.Items) {
					out = append(out, envValue{fmt.Sprintf("container %s file %s/%s (ConfigMap %s key %s)", c.Name, strings.TrimSuffix(vm.MountPath, "/"), k.path, src.Name, k.key), data[k.key]})
				}
			}
		}
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

// mountedConfigMaps maps each volume name to the ConfigMaps it carries.
func mountedConfigMaps(spec *corev1.PodSpec) map[string][]corev1.ConfigMapProjection {
	out := map[string][]corev1.ConfigMapProjection{}
	for _, v := range spec.Volumes {
		switch {
		case v.ConfigMap != nil:
			out[v.Name] = append(out[v.Name], corev1.ConfigMapProjection{LocalObjectReference: v.ConfigMap.LocalObjectReference, Items: v.ConfigMap.Items})
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					out[v.Name] = append(out[v.Name], *s.ConfigMap)
				}
			}
		}
	}
	return out
}

type mountedKey struct{ key, path string }

// mountedKeys are the keys a ConfigMap volume puts in files: the listed
// items, or every key, in order.
func mountedKeys(data map[string]string, items []corev1.KeyToPath) []mountedKey {
	var out []mountedKey
	if len(items) > 0 {
		for _, it := range items {
			if _, ok := data[it.Key]; ok {
				out = append(out, mountedKey{it.Key, it.Path})
			}
		}
		return out
	}
	for k := range data {
		out = append(out, mountedKey{k, k})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
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
	b.WriteString("# environment, ConfigMaps and mounted config files. Review before use: a reference is\n")
	b.WriteString("# not proof of a call.\n")
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

// inferEntryPoints infers the public entry points: every port of a
// LoadBalancer or NodePort Service from the internet, and every Ingress
// backend from the ingress controller.
func inferEntryPoints(inv *inventory.Inventory) []*Inferred {
	var out []*Inferred
	for _, o := range inv.Objects() {
		switch x := o.Obj.(type) {
		case *corev1.Service:
			if (x.Spec.Type != corev1.ServiceTypeLoadBalancer && x.Spec.Type != corev1.ServiceTypeNodePort) || len(x.Spec.Selector) == 0 {
				continue
			}
			in := &Inferred{Intent: Intent{From: "internet", To: x.Namespace + "/Service/" + x.Name}, Evidence: []string{"Service " + x.Name + " is type " + string(x.Spec.Type)}}
			for _, sp := range x.Spec.Ports {
				p := strconv.Itoa(int(sp.Port))
				if sp.Protocol != "" && sp.Protocol != corev1.ProtocolTCP {
					p += "/" + string(sp.Protocol)
				}
				in.Ports = appendUnique(in.Ports, p)
			}
			out = append(out, in)
		case *networkingv1.Ingress:
			add := func(b *networkingv1.IngressServiceBackend, where string) {
				if b == nil {
					return
				}
				port := b.Port.Name
				if b.Port.Number != 0 {
					port = strconv.Itoa(int(b.Port.Number))
				}
				out = append(out, &Inferred{Intent: Intent{From: "ingress-controller", To: x.Namespace + "/Service/" + b.Name, Ports: []string{port}},
					Evidence: []string{"Ingress " + x.Name + " " + where + " routes to it"}})
			}
			if x.Spec.DefaultBackend != nil {
				add(x.Spec.DefaultBackend.Service, "defaultBackend")
			}
			for _, r := range x.Spec.Rules {
				if r.HTTP == nil {
					continue
				}
				for _, p := range r.HTTP.Paths {
					add(p.Backend.Service, fmt.Sprintf("host %q path %q", r.Host, p.Path))
				}
			}
		}
	}
	return out
}
