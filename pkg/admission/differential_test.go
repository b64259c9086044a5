package admission_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	"github.com/guardrail-k8s/guardrail/pkg/admission"
	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/engine"
	"github.com/guardrail-k8s/guardrail/pkg/rules"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// mutation changes one field Pod Security Admission reads.
type mutation struct {
	desc  string
	apply func(p *corev1.Pod)
}

func sc(c *corev1.Container) *corev1.SecurityContext {
	if c.SecurityContext == nil {
		c.SecurityContext = &corev1.SecurityContext{}
	}
	return c.SecurityContext
}

func psc(p *corev1.Pod) *corev1.PodSecurityContext {
	if p.Spec.SecurityContext == nil {
		p.Spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	return p.Spec.SecurityContext
}

// pick returns a container of the pod: a regular, init or sidecar one.
func pick(r *rand.Rand, p *corev1.Pod) *corev1.Container {
	all := []*corev1.Container{}
	for i := range p.Spec.Containers {
		all = append(all, &p.Spec.Containers[i])
	}
	for i := range p.Spec.InitContainers {
		all = append(all, &p.Spec.InitContainers[i])
	}
	return all[r.IntN(len(all))]
}

var hostPaths = []string{"/", "/etc", "/etc/cron.d", "/usr/bin", "/opt/cni/bin", "/var/lib/etcd", "/etc/ssh", "/home/user/.ssh",
	"/var/run/docker.sock", "/run/containerd/containerd.sock", "/proc", "/sys", "/dev", "/var/log", "/tmp", "/data", "/var/lib/kubelet", "/etc/kubernetes/"}
var caps = []corev1.Capability{"NET_RAW", "SYS_ADMIN", "NET_ADMIN", "CHOWN", "KILL", "SETUID", "SETGID", "AUDIT_WRITE", "SYS_TIME",
	"NET_BIND_SERVICE", "ALL", "SYS_PTRACE", "DAC_OVERRIDE", "FOWNER", "FSETID", "MKNOD", "SETFCAP", "SETPCAP", "SYS_CHROOT", "BPF", "sys_admin", "CAP_SYS_ADMIN"}
var sysctls = []string{"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
	"net.ipv4.ip_unprivileged_port_start", "kernel.msgmax", "net.core.somaxconn", "kernel.sem", "vm.swappiness", "net.ipv4.tcp_keepalive_time"}

// mutations draws n random changes over every field PSA reads.
func mutations(r *rand.Rand, n int) []mutation {
	var out []mutation
	add := func(desc string, f func(p *corev1.Pod)) { out = append(out, mutation{desc, f}) }
	for i := 0; i < n; i++ {
		switch r.IntN(24) {
		case 0:
			add("privileged", func(p *corev1.Pod) { sc(pick(r, p)).Privileged = ptr(r.IntN(4) > 0) })
		case 1:
			c := caps[r.IntN(len(caps))]
			add("add capability "+string(c), func(p *corev1.Pod) {
				s := sc(pick(r, p))
				if s.Capabilities == nil {
					s.Capabilities = &corev1.Capabilities{}
				}
				s.Capabilities.Add = append(s.Capabilities.Add, c)
			})
		case 2:
			add("drop no capabilities", func(p *corev1.Pod) { sc(pick(r, p)).Capabilities = nil })
		case 3:
			v := []*bool{nil, ptr(true), ptr(false)}[r.IntN(3)]
			add(fmt.Sprintf("allowPrivilegeEscalation %v", v), func(p *corev1.Pod) { sc(pick(r, p)).AllowPrivilegeEscalation = v })
		case 4:
			v := []*bool{nil, ptr(true), ptr(false)}[r.IntN(3)]
			if r.IntN(2) == 0 {
				add(fmt.Sprintf("pod runAsNonRoot %v", v), func(p *corev1.Pod) { psc(p).RunAsNonRoot = v })
			} else {
				add(fmt.Sprintf("container runAsNonRoot %v", v), func(p *corev1.Pod) { sc(pick(r, p)).RunAsNonRoot = v })
			}
		case 5:
			u := []int64{0, 1, 1000, 65534}[r.IntN(4)]
			if r.IntN(2) == 0 {
				add(fmt.Sprintf("pod runAsUser %d", u), func(p *corev1.Pod) { psc(p).RunAsUser = ptr(u) })
			} else {
				add(fmt.Sprintf("container runAsUser %d", u), func(p *corev1.Pod) { sc(pick(r, p)).RunAsUser = ptr(u) })
			}
		case 6:
			t := []corev1.SeccompProfileType{corev1.SeccompProfileTypeUnconfined, corev1.SeccompProfileTypeRuntimeDefault, corev1.SeccompProfileTypeLocalhost, ""}[r.IntN(4)]
			prof := func() *corev1.SeccompProfile {
				if t == "" {
					return nil
				}
				sp := &corev1.SeccompProfile{Type: t}
				if t == corev1.SeccompProfileTypeLocalhost {
					sp.LocalhostProfile = ptr("profiles/audit.json")
				}
				return sp
			}
			if r.IntN(2) == 0 {
				add(fmt.Sprintf("pod seccomp %q", t), func(p *corev1.Pod) { psc(p).SeccompProfile = prof() })
			} else {
				add(fmt.Sprintf("container seccomp %q", t), func(p *corev1.Pod) { sc(pick(r, p)).SeccompProfile = prof() })
			}
		case 7:
			t := []corev1.AppArmorProfileType{corev1.AppArmorProfileTypeUnconfined, corev1.AppArmorProfileTypeRuntimeDefault, corev1.AppArmorProfileTypeLocalhost}[r.IntN(3)]
			ap := &corev1.AppArmorProfile{Type: t}
			if t == corev1.AppArmorProfileTypeLocalhost {
				ap.LocalhostProfile = ptr("k8s-apparmor-example")
			}
			if r.IntN(2) == 0 {
				add(fmt.Sprintf("pod appArmor %q", t), func(p *corev1.Pod) { psc(p).AppArmorProfile = ap })
			} else {
				add(fmt.Sprintf("container appArmor %q", t), func(p *corev1.Pod) { sc(pick(r, p)).AppArmorProfile = ap })
			}
		case 8:
			o := []corev1.SELinuxOptions{{Type: "spc_t"}, {Type: "container_t"}, {Type: "container_init_t"}, {Type: "container_kvm_t"}, {Type: "unconfined_t"},
				{User: "system_u"}, {Role: "system_r"}, {Level: "s0:c123,c456"}}[r.IntN(8)]
			if r.IntN(2) == 0 {
				add(fmt.Sprintf("pod seLinux %+v", o), func(p *corev1.Pod) { psc(p).SELinuxOptions = &o })
			} else {
				add(fmt.Sprintf("container seLinux %+v", o), func(p *corev1.Pod) { sc(pick(r, p)).SELinuxOptions = &o })
			}
		case 9, 10:
			hp := hostPaths[r.IntN(len(hostPaths))]
			if r.IntN(3) == 0 {
				hp = strings.TrimSuffix(hp, "/") + "/" // variants: a trailing slash
			}
			ro := r.IntN(2) == 0
			add(fmt.Sprintf("hostPath %s readOnly=%v", hp, ro), func(p *corev1.Pod) {
				name := fmt.Sprintf("hp%d", len(p.Spec.Volumes))
				p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: hp}}})
				c := pick(r, p)
				c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: "/mnt/" + name, ReadOnly: ro})
			})
		case 11:
			k := r.IntN(6)
			add(fmt.Sprintf("volume type %d", k), func(p *corev1.Pod) {
				name := fmt.Sprintf("v%d", len(p.Spec.Volumes))
				src := []corev1.VolumeSource{{EmptyDir: &corev1.EmptyDirVolumeSource{}}, {ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}},
					{NFS: &corev1.NFSVolumeSource{Server: "nfs.example.com", Path: "/export"}}, {PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}},
					{ISCSI: &corev1.ISCSIVolumeSource{TargetPortal: "10.0.0.1:3260", IQN: "iqn.2001-04.com.example:storage", Lun: 0}}, {Secret: &corev1.SecretVolumeSource{SecretName: "s"}}}[k]
				p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: name, VolumeSource: src})
			})
		case 12:
			which := r.IntN(3)
			add(fmt.Sprintf("host namespace %d", which), func(p *corev1.Pod) {
				switch which {
				case 0:
					p.Spec.HostNetwork = true
				case 1:
					p.Spec.HostPID = true
				case 2:
					p.Spec.HostIPC = true
				}
			})
		case 13:
			port := int32(1 + r.IntN(65535))
			add(fmt.Sprintf("hostPort %d", port), func(p *corev1.Pod) {
				c := pick(r, p)
				c.Ports = append(c.Ports, corev1.ContainerPort{ContainerPort: port, HostPort: port})
			})
		case 14:
			host := []string{"", "127.0.0.1", "10.0.0.1", "example.com"}[r.IntN(4)]
			add(fmt.Sprintf("probe host %q", host), func(p *corev1.Pod) {
				pick(r, p).LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Host: host, Port: intstr.FromInt32(8080), Path: "/"}}}
			})
		case 15:
			host := []string{"", "10.0.0.1"}[r.IntN(2)]
			add(fmt.Sprintf("lifecycle host %q", host), func(p *corev1.Pod) {
				c := &p.Spec.Containers[0]
				c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{TCPSocket: &corev1.TCPSocketAction{Host: host, Port: intstr.FromInt32(80)}}}
			})
		case 16:
			name := sysctls[r.IntN(len(sysctls))]
			add("sysctl "+name, func(p *corev1.Pod) {
				psc(p).Sysctls = append(psc(p).Sysctls, corev1.Sysctl{Name: name, Value: "1"})
			})
		case 17:
			add("procMount Unmasked", func(p *corev1.Pod) {
				pm := corev1.UnmaskedProcMount
				sc(pick(r, p)).ProcMount = &pm
				if r.IntN(2) == 0 {
					p.Spec.HostUsers = ptr(false)
				}
			})
		case 18:
			add("windows hostProcess", func(p *corev1.Pod) {
				sc(pick(r, p)).WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: ptr(true)}
			})
		case 19:
			add("init container", func(p *corev1.Pod) {
				c := p.Spec.Containers[0].DeepCopy()
				c.Name = fmt.Sprintf("init%d", len(p.Spec.InitContainers))
				c.Ports = nil
				c.LivenessProbe, c.Lifecycle = nil, nil
				p.Spec.InitContainers = append(p.Spec.InitContainers, *c)
			})
		case 20:
			add("sidecar", func(p *corev1.Pod) {
				c := p.Spec.Containers[0].DeepCopy()
				c.Name = fmt.Sprintf("side%d", len(p.Spec.InitContainers))
				c.Ports = nil
				c.LivenessProbe, c.Lifecycle = nil, nil
				c.RestartPolicy = ptr(corev1.ContainerRestartPolicyAlways)
				p.Spec.InitContainers = append(p.Spec.InitContainers, *c)
			})
		case 21:
			add("second container", func(p *corev1.Pod) {
				c := p.Spec.Containers[0].DeepCopy()
				c.Name = fmt.Sprintf("c%d", len(p.Spec.Containers))
				c.Ports = nil
				p.Spec.Containers = append(p.Spec.Containers, *c)
			})
		case 22:
			depth := 1 + r.IntN(97)
			add(fmt.Sprintf("managedFields %d deep", depth), func(p *corev1.Pod) {
				deep := strings.Repeat(`{"f:x":`, depth) + "{}" + strings.Repeat("}", depth)
				p.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "m", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1",
					FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(deep)}}}
			})
		case 23:
			add("runAsGroup 0", func(p *corev1.Pod) { psc(p).RunAsGroup = ptr(int64(0)) })
		}
	}
	return out
}

// restrictedPod passes every level; mutations take it apart.
func restrictedPod(name string) *corev1.Pod {
	p := cleanPod(name)
	p.Spec.Containers[0].SecurityContext.RunAsNonRoot = ptr(true)
	return p
}

func build(name string, ms []mutation) *corev1.Pod {
	p := restrictedPod(name)
	for _, m := range ms {
		m.apply(p)
	}
	return p
}

type judge struct {
	name string
	h    *admission.Handler
}

func judges(t *testing.T, level string) []judge {
	mk := func(profile string) judge {
		rs, prof, err := rules.Select(profile, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := rules.DefaultSettings()
		s.PSSLevel = prof.PSSLevel
		return judge{profile, &admission.Handler{Engine: admission.NewEngine(engine.WithRules(admission.AdmissionRules(rs)), engine.WithSettings(s), engine.WithAnnotationExceptions(false)),
			Policy: admission.Policy{Default: admission.Enforce}, FailOn: api.SeverityHigh}}
	}
	if level == "baseline" {
		return []judge{mk("zero-trust"), mk("pss-baseline"), mk("pss-restricted")}
	}
	return []judge{mk("pss-restricted")}
}

// guardrailDenies sends the object as the API server would: an
// AdmissionReview through the enforce hook.
func guardrailDenies(t *testing.T, h *admission.Handler, op admissionv1.Operation, sub string, obj, old []byte) (bool, string) {
	req := &admissionv1.AdmissionRequest{UID: types.UID("d"), Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Namespace: "diff",
		Operation: op, SubResource: sub, Object: runtime.RawExtension{Raw: obj}}
	if old != nil {
		req.OldObject = runtime.RawExtension{Raw: old}
	}
	body, _ := json.Marshal(admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}, Request: req})
	out, err := h.Review(context.Background(), admission.HookEnforce, body)
	if err != nil {
		t.Fatal(err)
	}
	msg := ""
	if out.Response.Result != nil {
		msg = out.Response.Result.Message
	}
	return !out.Response.Allowed, msg
}

// TestDifferentialAgainstPodSecurityAdmission generates seeded random pods
// over every field Pod Security Admission reads and sends each to the real
// API server twice with server-side dry-run: into a namespace without Pod
// Security labels, for the object as admission sees it (defaulted), and
// into one enforcing the level, for PSA's verdict. Guardrail in enforce,
// with each profile at the level, must deny everything PSA denies: as a
// CREATE, as an UPDATE from a clean pod, and, for ephemeral containers,
// through the ephemeralcontainers subresource. On failure it prints the
// seed and the smallest set of changes that still differs.
// GUARDRAIL_DIFF_SEED and GUARDRAIL_DIFF_CASES replay or widen a run.
func TestDifferentialAgainstPodSecurityAdmission(t *testing.T) {
	tc := testcluster.Shared(t)
	cfg, _ := tc.RESTConfig()
	cfg.QPS, cfg.Burst = 500, 1000
	client := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	seed := uint64(20261203)
	if s, err := strconv.ParseUint(os.Getenv("GUARDRAIL_DIFF_SEED"), 10, 64); err == nil {
		seed = s
	}
	cases := 2000
	if n, err := strconv.Atoi(os.Getenv("GUARDRAIL_DIFF_CASES")); err == nil {
		cases = n
	}
	for _, ns := range []struct{ name, level string }{{"diff-none", ""}, {"diff-baseline", "baseline"}, {"diff-restricted", "restricted"}} {
		labels := map[string]string{}
		if ns.level != "" {
			labels["pod-security.kubernetes.io/enforce"] = ns.level
		}
		if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns.name, Labels: labels}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		if _, err := client.CoreV1().ServiceAccounts(ns.name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	// defaulted returns the pod as the API server stores it, or nil when
	// the API server refuses it as invalid.
	defaulted := func(p *corev1.Pod) []byte {
		got, err := client.CoreV1().Pods("diff-none").Create(ctx, p.DeepCopy(), dry)
		if err != nil {
			return nil
		}
		got.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
		b, _ := json.Marshal(got)
		return b
	}
	psaDenies := func(level string, p *corev1.Pod) bool {
		_, err := client.CoreV1().Pods("diff-"+level).Create(ctx, p.DeepCopy(), dry)
		if err != nil && !strings.Contains(err.Error(), "violates PodSecurity") {
			t.Fatalf("PSA dry-run: %v", err)
		}
		return err != nil
	}
	cleanJSON := defaulted(restrictedPod("diff"))
	if cleanJSON == nil {
		t.Fatal("the clean pod is invalid")
	}
	js := map[string][]judge{"baseline": judges(t, "baseline"), "restricted": judges(t, "restricted")}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	stats := map[string]int{}
	misses := 0
	// differs reports whether PSA at level denies what a judge admits.
	differs := func(level string, j judge, ms []mutation) bool {
		p := build("diff", ms)
		obj := defaulted(p)
		if obj == nil || !psaDenies(level, p) {
			return false
		}
		denied, _ := guardrailDenies(t, j.h, admissionv1.Create, "", obj, nil)
		return !denied
	}
	for i := 0; i < cases && misses < 3; i++ {
		ms := mutations(r, 1+r.IntN(4))
		p := build("diff", ms)
		obj := defaulted(p)
		if obj == nil {
			stats["invalid"]++
			continue
		}
		stats["valid"]++
		for _, level := range []string{"baseline", "restricted"} {
			if !psaDenies(level, p) {
				continue
			}
			stats["psa denies at "+level]++
			for _, j := range js[level] {
				for _, op := range []admissionv1.Operation{admissionv1.Create, admissionv1.Update} {
					var old []byte
					if op == admissionv1.Update {
						old = cleanJSON
					}
					if denied, _ := guardrailDenies(t, j.h, op, "", obj, old); denied {
						continue
					}
					misses++
					// Shrink: drop changes while PSA still denies and the judge admits.
					min := ms
					for k := 0; k < len(min); {
						try := append(append([]mutation(nil), min[:k]...), min[k+1:]...)
						if len(try) > 0 && differs(level, j, try) {
							min = try
						} else {
							k++
						}
					}
					var descs []string
					for _, m := range min {
						descs = append(descs, m.desc)
					}
					b, _ := json.MarshalIndent(build("diff", min).Spec, "", "  ")
					t.Errorf("seed %d case %d: PSA %s denies, guardrail %s admits on %s; smallest change set: %s\nspec: %s",
						seed, i, level, j.name, op, strings.Join(descs, "; "), b)
				}
			}
		}
	}

	// Ephemeral containers through the subresource: a clean pod in each
	// namespace, and random debug containers added to it.
	base := map[string]*corev1.Pod{}
	for _, ns := range []string{"diff-none", "diff-baseline", "diff-restricted"} {
		p, err := client.CoreV1().Pods(ns).Create(ctx, restrictedPod("debug-base"), metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		if p == nil || p.Name == "" {
			p, _ = client.CoreV1().Pods(ns).Get(ctx, "debug-base", metav1.GetOptions{})
		}
		base[ns] = p
	}
	ephemeral := cases / 4
	for i := 0; i < ephemeral && misses < 3; i++ {
		ms := mutations(r, 1+r.IntN(3))
		host := build("e", ms)
		ec := corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon(host.Spec.Containers[0])}
		ec.Name, ec.Ports, ec.LivenessProbe, ec.Lifecycle, ec.Resources = fmt.Sprintf("debug%d", i), nil, nil, nil, corev1.ResourceRequirements{}
		with := func(ns string) *corev1.Pod {
			p := base[ns].DeepCopy()
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, ec)
			return p
		}
		got, err := client.CoreV1().Pods("diff-none").UpdateEphemeralContainers(ctx, "debug-base", with("diff-none"), metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			stats["ephemeral invalid"]++
			continue
		}
		stats["ephemeral valid"]++
		got.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
		obj, _ := json.Marshal(got)
		for _, level := range []string{"baseline", "restricted"} {
			_, err := client.CoreV1().Pods("diff-"+level).UpdateEphemeralContainers(ctx, "debug-base", with("diff-"+level), metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
			if err == nil {
				continue
			}
			if !strings.Contains(err.Error(), "violates PodSecurity") {
				t.Fatalf("PSA ephemeral dry-run: %v", err)
			}
			stats["psa denies ephemeral at "+level]++
			for _, j := range js[level] {
				if denied, _ := guardrailDenies(t, j.h, admissionv1.Update, "ephemeralcontainers", obj, cleanJSON); !denied {
					misses++
					var descs []string
					for _, m := range ms {
						descs = append(descs, m.desc)
					}
					t.Errorf("seed %d ephemeral case %d: PSA %s denies, guardrail %s admits: %s", seed, i, level, j.name, strings.Join(descs, "; "))
				}
			}
		}
	}
	t.Logf("seed %d: %v", seed, stats)
	if stats["psa denies at baseline"] < cases/10 || stats["psa denies at restricted"] < cases/4 || stats["psa denies ephemeral at baseline"] < ephemeral/30 {
		t.Errorf("the generator is too tame: %v", stats)
	}
}
