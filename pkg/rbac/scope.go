package rbac

import "sort"

// PermissionsIn keeps the permissions that apply in namespace ns: those
// granted there and those granted cluster-wide. An empty ns keeps all.
func PermissionsIn(perms []Permission, ns string) []Permission {
	if ns == "" {
		return perms
	}
	var out []Permission
	for _, p := range perms {
		if p.Scope == "" || p.Scope == ns {
			out = append(out, p)
		}
	}
	return out
}

// RisksIn keeps, for each subject, the risks that reach into namespace ns
// (granted there or cluster-wide), rescored, and drops subjects left with
// none. An empty ns keeps the report as it is.
func RisksIn(report []RiskySubject, ns string) []RiskySubject {
	if ns == "" {
		return report
	}
	var out []RiskySubject
	for _, rs := range report {
		kept := RiskySubject{Subject: rs.Subject}
		for _, rg := range rs.Risks {
			if rg.Scope == "" || rg.Scope == ns {
				kept.Risks = append(kept.Risks, rg)
				kept.Score += rg.Risk.Weight
			}
		}
		if len(kept.Risks) > 0 {
			out = append(out, kept)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}
