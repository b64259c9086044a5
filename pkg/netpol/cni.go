package netpol

import (
	"fmt"
	"sort"
	"strings"
)

// CNI is how a network plugin settles what the NetworkPolicy specification
// leaves to it. Only behaviour the plugin's maintainers document is
// encoded; everything else stays "depends on the CNI".
type CNI struct {
	Name string
	// Enforces is false for plugins that ignore NetworkPolicy: every
	// policy is then on paper only and every connection is allowed.
	Enforces bool
	// IPBlockMatchesPods is Deny when ipBlock peers never match pod
	// addresses, Depends when unknown.
	IPBlockMatchesPods Verdict
	// Source says where the behaviour is documented.
	Source string
}

// Profiles are the known CNI profiles by name.
var Profiles = map[string]*CNI{
	"cilium": {Name: "cilium", Enforces: true, IPBlockMatchesPods: Deny,
		Source: "Cilium classifies in-cluster endpoints by identity and applies CIDR rules to traffic leaving the cluster only (cilium/cilium#9209, #35212)"},
	"flannel": {Name: "flannel", Enforces: false, IPBlockMatchesPods: Depends,
		Source: "flannel provides connectivity only and does not implement NetworkPolicy"},
}

// Profile returns the named profile, or an error listing the known ones.
func Profile(name string) (*CNI, error) {
	if p, ok := Profiles[strings.ToLower(name)]; ok {
		return p, nil
	}
	names := make([]string, 0, len(Profiles))
	for n := range Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("unknown CNI profile %q: known profiles are %s", name, strings.Join(names, ", "))
}

// SetCNI makes the model answer as the given plugin does (nil: unknown).
// Call it before the first Check or Matrix.
func (m *Model) SetCNI(c *CNI) { m.cni = c }

// ipBlockVerdict is what an ipBlock peer answers for a pod peer.
func (m *Model) ipBlockVerdict() Verdict {
	if m.cni != nil {
		return m.cni.IPBlockMatchesPods
	}
	return Depends
}

// enforced reports whether policies are enforced at all.
func (m *Model) enforced() bool { return m.cni == nil || m.cni.Enforces }
