package cli

import (
	"github.com/guardrail-k8s/guardrail/pkg/helmchart"
	"github.com/spf13/pflag"
)

// chartOptions are helm template's flags, for the charts a scan finds.
type chartOptions struct {
	values, set, setString, apiVersions []string
	release, kubeVersion                string
}

func (c *chartOptions) addFlags(f *pflag.FlagSet) {
	f.StringArrayVar(&c.values, "values", nil, "Helm charts: a values file (repeatable; later files win)")
	f.StringArrayVar(&c.set, "set", nil, "Helm charts: set values, as helm's --set (repeatable)")
	f.StringArrayVar(&c.setString, "set-string", nil, "Helm charts: set string values, as helm's --set-string (repeatable)")
	f.StringVar(&c.release, "release-name", "", "Helm charts: the release name (default release-name)")
	f.StringVar(&c.kubeVersion, "kube-version", "", "Helm charts: the Kubernetes version for .Capabilities")
	f.StringSliceVar(&c.apiVersions, "api-versions", nil, "Helm charts: API versions for .Capabilities (repeatable)")
}

// options are the render options; namespace is -n, the release namespace
// as for helm template.
func (c *chartOptions) options(namespace string) helmchart.Options {
	return helmchart.Options{Release: helmchart.Release{Name: c.release, Namespace: namespace},
		ValueFiles: c.values, Set: c.set, SetString: c.setString, KubeVersion: c.kubeVersion, APIVersions: c.apiVersions}
}
