package netpol

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
)

// SchemaVersion is the version of the JSON that the netpol commands write
// (matrix, explain, diff): camelCase fields, verdicts as strings.
const SchemaVersion = "guardrail.dev/netpol/v1"

// Edge is one connection of the matrix: from a workload or peer to a
// workload or peer on a port, with its verdict.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Port is the destination port; for a peer destination with EndPort,
	// the first of a range, and with AnyOther, one of the ports no rule
	// names.
	Port     int32           `json:"port"`
	EndPort  int32           `json:"endPort,omitempty"`
	AnyOther bool            `json:"anyOtherPort,omitempty"`
	Protocol corev1.Protocol `json:"protocol"`
	Verdict  Verdict         `json:"verdict"`
}

// PortString is "8080/TCP", "1000-2000/TCP" or "*/TCP".
func (e Edge) PortString() string {
	return PortVerdict{Port: e.Port, EndPort: e.EndPort, AnyOther: e.AnyOther, Protocol: e.Protocol}.PortString()
}

// key identifies the connection without its verdict.
func (e Edge) key() edgeKey {
	return edgeKey{e.From, e.To, e.Port, e.EndPort, e.AnyOther, e.Protocol}
}

type edgeKey struct {
	from, to      string
	port, endPort int32
	any           bool
	proto         corev1.Protocol
}

// EdgeOptions choose what Edges lists.
type EdgeOptions struct {
	// IncludeSelf lists a workload's connections to itself (always allowed).
	IncludeSelf bool
	// IncludeDenied lists denied connections too.
	IncludeDenied bool
}

// Edges lists the matrix by workload: each workload of a class pair is a
// row, sorted by source, destination and port.
func (m *Model) Edges(o EdgeOptions) []Edge {
	var out []Edge
	for _, c := range m.Matrix() {
		for _, pv := range c.Ports {
			for _, s := range c.Src.Pods {
				for _, d := range c.Dst.Pods {
					if s == d && !o.IncludeSelf {
						continue
					}
					v := pv.Verdict
					if s == d {
						v = Allow // a pod reaches itself
					}
					if v == Deny && !o.IncludeDenied {
						continue
					}
					out = append(out, Edge{From: s.ID(), To: d.ID(), Port: pv.Port, EndPort: pv.EndPort, AnyOther: pv.AnyOther, Protocol: pv.Protocol, Verdict: v})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return lessEdge(out[i], out[j]) })
	return out
}

func lessEdge(a, b Edge) bool {
	if a.From != b.From {
		return a.From < b.From
	}
	if a.To != b.To {
		return a.To < b.To
	}
	if a.Protocol != b.Protocol {
		return a.Protocol < b.Protocol
	}
	if a.AnyOther != b.AnyOther {
		return !a.AnyOther
	}
	return a.Port < b.Port
}

// MatrixReport is the JSON of `netpol matrix`.
type MatrixReport struct {
	SchemaVersion string `json:"schemaVersion"`
	// Peers are the abstract peers included as sources and destinations.
	Peers       []string `json:"peers"`
	Connections []Edge   `json:"connections"`
}

// NewMatrixReport lists the model's allowed and CNI-dependent connections.
func (m *Model) NewMatrixReport(o EdgeOptions) MatrixReport {
	r := MatrixReport{SchemaVersion: SchemaVersion, Peers: []string{}, Connections: m.Edges(o)}
	for _, p := range m.peers {
		r.Peers = append(r.Peers, p.Name)
	}
	if r.Connections == nil {
		r.Connections = []Edge{}
	}
	return r
}

// ExplainReport is the JSON of `netpol explain` for a workload or peer.
type ExplainReport struct {
	SchemaVersion string          `json:"schemaVersion"`
	From          string          `json:"from"`
	To            string          `json:"to"`
	Port          int32           `json:"port"`
	Protocol      corev1.Protocol `json:"protocol"`
	Explanation
}

// ServiceExplainReport is the JSON of `netpol explain` for a Service.
type ServiceExplainReport struct {
	SchemaVersion string          `json:"schemaVersion"`
	From          string          `json:"from"`
	To            string          `json:"to"`
	Port          int32           `json:"port"`
	Protocol      corev1.Protocol `json:"protocol"`
	ServiceExplanation
}
