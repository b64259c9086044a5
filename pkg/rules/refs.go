package rules

import "github.com/guardrail-k8s/guardrail/pkg/api"

// Reference helpers keep rule files short and the citations uniform.

const pssURL = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"

func pss(control string) api.Reference {
	return api.Reference{Kind: api.RefPSS, ID: control, URL: pssURL}
}

func cis(id, title string) api.Reference {
	return api.Reference{Kind: api.RefCIS, ID: id, Title: title}
}

func nsa(section string) api.Reference {
	return api.Reference{Kind: api.RefNSA, ID: section}
}

func mitre(id, title string) api.Reference {
	return api.Reference{Kind: api.RefMITRE, ID: id, Title: title,
		URL: "https://attack.mitre.org/techniques/" + replaceDot(id) + "/"}
}

func replaceDot(id string) string {
	b := []byte(id)
	for i, c := range b {
		if c == '.' {
			b[i] = '/'
		}
	}
	return string(b)
}

// Frequently cited techniques.
var (
	mitreEscape       = mitre("T1611", "Escape to Host")
	mitrePrivEsc      = mitre("T1068", "Exploitation for Privilege Escalation")
	mitreDeploy       = mitre("T1610", "Deploy Container")
	mitreExec         = mitre("T1609", "Container Administration Command")
	mitreCredsFiles   = mitre("T1552.001", "Unsecured Credentials: Credentials In Files")
	mitreContainerAPI = mitre("T1552.007", "Unsecured Credentials: Container API")
	mitreValidAcct    = mitre("T1078", "Valid Accounts")
	mitreStealToken   = mitre("T1528", "Steal Application Access Token")
	mitreImplant      = mitre("T1525", "Implant Internal Image")
	mitrePublicApp    = mitre("T1190", "Exploit Public-Facing Application")
	mitreExternal     = mitre("T1133", "External Remote Services")
	mitreDiscovery    = mitre("T1613", "Container and Resource Discovery")
	mitreAcctManip    = mitre("T1098", "Account Manipulation")
	mitreImpairDef    = mitre("T1562", "Impair Defenses")
	mitreDoS          = mitre("T1499", "Endpoint Denial of Service")
)
