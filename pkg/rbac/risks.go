package rbac

import (
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Risk is a dangerous capability: a subject has it when a rule it holds
// grants any of the requests.
type Risk struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	Weight   int       `json:"weight"` // for ranking subjects
	Requests []Request `json:"-"`
	// ClusterWideOnly risks count only when granted cluster-wide.
	ClusterWideOnly bool `json:"clusterWideOnly,omitempty"`
	// Broad risks have a title that names a family of resources; a grant
	// of part of the family lists the resources it grants.
	Broad bool `json:"-"`
}

func req(verbs, group string, resources ...string) []Request {
	var out []Request
	for _, v := range strings.Split(verbs, ",") {
		for _, r := range resources {
			res, sub, _ := strings.Cut(r, "/")
			out = append(out, Request{Verb: v, Group: group, Resource: res, Subresource: sub})
		}
	}
	return out
}

func reqs(parts ...[]Request) []Request {
	var out []Request
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Risks is the catalogue, most dangerous first.
var Risks = []Risk{
	{ID: "cluster-admin", Title: "cluster-admin equivalent (* on * in *)", Weight: 100, ClusterWideOnly: true},
	{ID: "namespace-admin", Title: "every permission in a namespace (* on * in *)", Weight: 40},
	{ID: "escalate-bind", Broad: true, Title: "escalate or bind roles (bypasses RBAC escalation checks)", Weight: 60,
		Requests: req("escalate,bind", "rbac.authorization.k8s.io", "roles", "clusterroles")},
	{ID: "impersonate", Broad: true, Title: "impersonate users, groups or service accounts", Weight: 60,
		Requests: reqs(req("impersonate", "", "users", "groups", "serviceaccounts"), req("impersonate", "authentication.k8s.io", "uids", "userextras/scopes"))},
	{ID: "nodes-proxy", Title: "nodes/proxy (commands on every pod of a node)", Weight: 60, Requests: req("get,create", "", "nodes/proxy")},
	{ID: "webhook-config", Broad: true, Title: "change admission webhook configurations", Weight: 50,
		Requests: req("create,update,patch,delete", "admissionregistration.k8s.io", "validatingwebhookconfigurations", "mutatingwebhookconfigurations")},
	{ID: "manage-rbac", Broad: true, Title: "manage RBAC roles and bindings", Weight: 45,
		Requests: req("create,update,patch", "rbac.authorization.k8s.io", "roles", "clusterroles", "rolebindings", "clusterrolebindings")},
	{ID: "approve-csr", Title: "approve certificate signing requests (mint client certificates)", Weight: 45,
		Requests: reqs(req("update,patch", "certificates.k8s.io", "certificatesigningrequests/approval"), req("approve", "certificates.k8s.io", "signers"))},
	{ID: "token-create", Title: "create service account tokens", Weight: 40, Requests: req("create", "", "serviceaccounts/token")},
	{ID: "read-secrets", Title: "read Secrets (get, list or watch)", Weight: 35, Requests: req("get,list,watch", "", "secrets")},
	{ID: "pod-exec", Broad: true, Title: "exec, attach or port-forward into pods", Weight: 35, Requests: req("create,get", "", "pods/exec", "pods/attach", "pods/portforward")},
	{ID: "create-workloads", Broad: true, Title: "create pods or workload controllers (mount any service account token)", Weight: 30,
		Requests: reqs(req("create", "", "pods", "replicationcontrollers"), req("create", "apps", "deployments", "statefulsets", "daemonsets", "replicasets"), req("create", "batch", "jobs", "cronjobs"))},
	{ID: "create-pv", Title: "create PersistentVolumes (hostPath onto any node)", Weight: 30, Requests: req("create", "", "persistentvolumes")},
	{ID: "relabel", Broad: true, Title: "patch pods or namespaces (relabelling moves them across NetworkPolicy boundaries)", Weight: 15,
		Requests: req("patch,update", "", "pods", "namespaces")},
	{ID: "ephemeral-containers", Title: "add ephemeral containers to running pods (kubectl debug: a new container with any image in an existing pod)", Weight: 35,
		Requests: req("update,patch", "", "pods/ephemeralcontainers")},
	{ID: "write-networkpolicies", Title: "write NetworkPolicies (opens segmentation)", Weight: 30,
		Requests: req("create,update,patch,delete,deletecollection", "networking.k8s.io", "networkpolicies")},
	{ID: "write-configmaps-cluster-wide", Title: "write ConfigMaps in every namespace (kube-system's CoreDNS configuration among them)", Weight: 30, ClusterWideOnly: true,
		Requests: req("create,update,patch", "", "configmaps")},
	{ID: "patch-nodes", Title: "patch or update nodes (labels and taints attract or repel workloads)", Weight: 25,
		Requests: reqs(req("patch,update", "", "nodes"), req("patch,update", "", "nodes/status"))},
	{ID: "destroy", Broad: true, Title: "delete workloads, namespaces or persistent volumes", Weight: 20,
		Requests: reqs(req("delete,deletecollection", "", "namespaces", "persistentvolumes", "persistentvolumeclaims", "pods", "replicationcontrollers"),
			req("delete,deletecollection", "apps", "deployments", "statefulsets", "daemonsets", "replicasets"), req("delete,deletecollection", "batch", "jobs", "cronjobs"))},
	{ID: "delete-events", Title: "delete events (covers tracks)", Weight: 15,
		Requests: reqs(req("delete,deletecollection", "", "events"), req("delete,deletecollection", "events.k8s.io", "events"))},
}

// RiskGrant is one risky capability of a subject and the chain granting it.
type RiskGrant struct {
	Risk  *Risk  `json:"risk"`
	Scope string `json:"scope"` // namespace, "" for cluster-wide
	Grant Grant  `json:"grant"`
	// Resources lists, when the risk covers several resources and the
	// role grants only some of them, the ones it grants ("pods",
	// "jobs"), in catalogue order: "delete workloads, namespaces or
	// persistent volumes" alone overstates a role that deletes pods.
	Resources []string `json:"resources,omitempty"`
}

// RiskySubject is a subject with its risky capabilities.
type RiskySubject struct {
	Subject rbacv1.Subject `json:"subject"`
	Score   int            `json:"score"`
	Risks   []RiskGrant    `json:"risks"`
}

// SchemaVersion is the version of the JSON the rbac commands write.
const SchemaVersion = "guardrail.dev/rbac/v1"

// WhoCanReport is the JSON of rbac who-can.
type WhoCanReport struct {
	SchemaVersion string         `json:"schemaVersion"`
	Request       Attributes     `json:"request"`
	Subjects      []SubjectGrant `json:"subjects"`
}

// CanReport is the JSON of rbac can.
type CanReport struct {
	SchemaVersion string       `json:"schemaVersion"`
	User          User         `json:"user"`
	Namespace     string       `json:"namespace,omitempty"`
	Permissions   []Permission `json:"permissions"`
}

// RisksReport is the JSON of rbac risks: the subjects users granted, and
// with --include-system Kubernetes' own.
type RisksReport struct {
	SchemaVersion string         `json:"schemaVersion"`
	Namespace     string         `json:"namespace,omitempty"`
	Subjects      []RiskySubject `json:"subjects"`
	Platform      []RiskySubject `json:"platform,omitempty"`
}

// RiskReport ranks every bound subject by its risky capabilities (each risk
// counted once, at its widest scope).
func (p *Policy) RiskReport() []RiskySubject {
	bySubject := map[string]*RiskySubject{}
	have := map[string]bool{}
	note := func(s rbacv1.Subject, scope string, g Grant, rules []rbacv1.PolicyRule) {
		key := s.Kind + "/" + s.Namespace + "/" + s.Name
		for ri := range Risks {
			risk := &Risks[ri]
			if risk.ClusterWideOnly && scope != "" {
				continue
			}
			for i := range rules {
				if !grantsRisk(&rules[i], risk) {
					continue
				}
				// A full wildcard rule is reported once, as admin
				// equivalence; the risks it implies are not listed again.
				if isAdmin(&rules[i]) && risk.ID != "cluster-admin" && (risk.ID != "namespace-admin" || scope == "") {
					continue
				}
				hk := key + "|" + risk.ID
				if have[hk] {
					break
				}
				have[hk] = true
				rs := bySubject[key]
				if rs == nil {
					rs = &RiskySubject{Subject: s}
					bySubject[key] = rs
				}
				g.RuleIndex, g.Rule = i, rules[i]
				rs.Risks = append(rs.Risks, RiskGrant{Risk: risk, Scope: scope, Grant: g, Resources: grantedResources(rules, risk)})
				rs.Score += risk.Weight
				break
			}
		}
	}
	// Cluster-wide grants first, so a risk is recorded at its widest scope.
	for _, b := range p.clusterRoleBindings {
		rules, ok := p.roleRules(b.RoleRef, "")
		if !ok {
			continue
		}
		for _, s := range b.Subjects {
			note(s, "", Grant{BindingKind: "ClusterRoleBinding", BindingName: b.Name, Subject: s, RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name}, rules)
		}
	}
	for _, b := range p.roleBindings {
		rules, ok := p.roleRules(b.RoleRef, b.Namespace)
		if !ok {
			continue
		}
		for _, s := range b.Subjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" {
				s.Namespace = b.Namespace
			}
			note(s, b.Namespace, Grant{BindingKind: "RoleBinding", BindingNamespace: b.Namespace, BindingName: b.Name, Subject: s, RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name}, rules)
		}
	}
	out := make([]RiskySubject, 0, len(bySubject))
	for _, rs := range bySubject {
		sort.SliceStable(rs.Risks, func(i, j int) bool { return rs.Risks[i].Risk.Weight > rs.Risks[j].Risk.Weight })
		out = append(out, *rs)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Subject.Kind+out[i].Subject.Namespace+out[i].Subject.Name < out[j].Subject.Kind+out[j].Subject.Namespace+out[j].Subject.Name
	})
	return out
}

// grantedResources lists the broad risk's resources that rules grant, or
// nil when rules grant all of them.
func grantedResources(rules []rbacv1.PolicyRule, risk *Risk) []string {
	var all, granted []string
	seen := map[string]bool{}
	for _, q := range risk.Requests {
		name := q.Resource
		if q.Subresource != "" {
			name += "/" + q.Subresource
		}
		if !seen[name] {
			seen[name] = true
			all = append(all, name)
		}
		if contains(granted, name) {
			continue
		}
		for i := range rules {
			if AllowsSomeName(&rules[i], q) {
				granted = append(granted, name)
				break
			}
		}
	}
	if !risk.Broad || len(all) < 2 || len(granted) == len(all) {
		return nil
	}
	return granted
}

func isAdmin(r *rbacv1.PolicyRule) bool {
	return VerbMatches(r, "*") && GroupMatches(r, "*") && contains(r.Resources, "*") && len(r.ResourceNames) == 0
}

func grantsRisk(r *rbacv1.PolicyRule, risk *Risk) bool {
	if risk.ID == "cluster-admin" || risk.ID == "namespace-admin" {
		return isAdmin(r)
	}
	for _, q := range risk.Requests {
		if AllowsSomeName(r, q) {
			return true
		}
	}
	return false
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
