package rules

import (
	"path"
	"strings"

	"github.com/guardrail-k8s/guardrail/pkg/workload"
)

// componentFlags reads a control-plane container (a static pod of
// kube-apiserver, kube-controller-manager or kube-scheduler): the component
// it runs and its flags, each with the field it is written in.
type componentFlags struct {
	component string
	values    map[string]string
	fields    map[string]string
	c         *workload.Container
}

var controlPlaneComponents = map[string]bool{"kube-apiserver": true, "kube-controller-manager": true, "kube-scheduler": true}

func readComponent(c *workload.Container) *componentFlags {
	all := append(append([]string{}, c.C.Command...), c.C.Args...)
	cf := &componentFlags{values: map[string]string{}, fields: map[string]string{}, c: c}
	for i, a := range all {
		field := "command[" + itoa(i) + "]"
		if i >= len(c.C.Command) {
			field = "args[" + itoa(i-len(c.C.Command)) + "]"
		}
		if cf.component == "" && controlPlaneComponents[path.Base(a)] {
			cf.component = path.Base(a)
			continue
		}
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !ok {
			value = "true"
			if i+1 < len(all) && !strings.HasPrefix(all[i+1], "-") {
				value = all[i+1]
			}
		}
		cf.values[name], cf.fields[name] = value, c.Field(field)
	}
	if cf.component == "" && controlPlaneComponents[c.Name] && len(cf.values) > 0 {
		cf.component = c.Name
	}
	if cf.component == "" {
		return nil
	}
	return cf
}

// controlPlaneCheck runs check on every container of the workload that runs
// component ("" for any of the three).
func controlPlaneCheck(in *Input, component string, check func(cf *componentFlags) (msg, flag string, bad bool)) []Violation {
	var out []Violation
	for i := range in.Workload.Containers {
		cf := readComponent(&in.Workload.Containers[i])
		if cf == nil || (component != "" && cf.component != component) {
			continue
		}
		msg, flag, bad := check(cf)
		if !bad {
			continue
		}
		v := containerViolation(cf.c, "command", cf.component+"/"+flag, "%s %s", cf.component, msg)
		if f, ok := cf.fields[flag]; ok {
			v.Field = f
		}
		out = append(out, v)
	}
	return out
}

// listFlag splits a comma-separated flag value.
func listFlag(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
