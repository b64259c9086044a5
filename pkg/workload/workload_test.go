package workload

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func ptr[T any](v T) *T { return &v }

func TestFromObjectPaths(t *testing.T) {
	spec := corev1.PodSpec{
		InitContainers:      []corev1.Container{{Name: "init"}},
		Containers:          []corev1.Container{{Name: "app"}, {Name: "side"}},
		EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug"}}},
	}
	cases := []struct {
		obj      runtime.Object
		specPath string
		batch    bool
	}{
		{&corev1.Pod{Spec: spec}, "spec", false},
		{&appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}, "spec.template.spec", false},
		{&batchv1.CronJob{Spec: batchv1.CronJobSpec{JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}}}, "spec.jobTemplate.spec.template.spec", true},
		{&corev1.PodTemplate{Template: corev1.PodTemplateSpec{Spec: spec}}, "template.spec", false},
	}
	for _, tc := range cases {
		w := FromObject(tc.obj)
		if w == nil {
			t.Fatalf("%T: no workload", tc.obj)
		}
		if w.SpecPath != tc.specPath || w.Batch != tc.batch {
			t.Errorf("%T: path %q batch %v", tc.obj, w.SpecPath, w.Batch)
		}
		var names, paths []string
		for _, c := range w.Containers {
			names = append(names, c.Name)
			paths = append(paths, c.Path)
		}
		want := []string{tc.specPath + ".initContainers[0]", tc.specPath + ".containers[0]", tc.specPath + ".containers[1]", tc.specPath + ".ephemeralContainers[0]"}
		for i := range want {
			if paths[i] != want[i] {
				t.Errorf("%T: container %s path %q, want %q", tc.obj, names[i], paths[i], want[i])
			}
		}
	}
	if FromObject(&corev1.Service{}) != nil {
		t.Error("Service must not be a workload")
	}
}

func TestEffectiveSecurityContextInheritsPodLevel(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{RunAsUser: ptr[int64](10001), RunAsNonRoot: ptr(true),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1.Container{
			{Name: "inherits"},
			{Name: "overrides", SecurityContext: &corev1.SecurityContext{RunAsUser: ptr[int64](0), RunAsNonRoot: ptr(false)}},
		},
	}}
	pod.Annotations = map[string]string{legacyAppArmorPrefix + "inherits": "runtime/default"}
	w := FromObject(pod)
	in, ov := w.Containers[0].Security, w.Containers[1].Security
	if !in.RunAsUser.Set || in.RunAsUser.Value != 10001 || !in.RunAsUser.FromPod || FieldOf(&w.Containers[0], in.RunAsUser) != "spec.securityContext.runAsUser" {
		t.Errorf("inherited runAsUser = %+v", in.RunAsUser)
	}
	if !in.SeccompProfile.Set || in.SeccompProfile.Value.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("inherited seccomp = %+v", in.SeccompProfile)
	}
	if ov.RunAsUser.Value != 0 || ov.RunAsUser.FromPod || FieldOf(&w.Containers[1], ov.RunAsUser) != "spec.containers[1].securityContext.runAsUser" {
		t.Errorf("overridden runAsUser = %+v", ov.RunAsUser)
	}
	if ov.RunAsNonRoot.Value {
		t.Error("container runAsNonRoot=false must override the pod's true")
	}
	if in.Privileged.Set || FieldOf(&w.Containers[0], in.Privileged) != "spec.containers[0].securityContext.privileged" {
		t.Errorf("unset privileged = %+v", in.Privileged)
	}
	if !in.AppArmorProfile.Set || in.AppArmorProfile.Value.Type != corev1.AppArmorProfileTypeRuntimeDefault {
		t.Errorf("legacy AppArmor annotation ignored: %+v", in.AppArmorProfile)
	}
	if got := FieldOf(&w.Containers[0], in.AppArmorProfile); got != "metadata.annotations["+legacyAppArmorPrefix+"inherits]" {
		t.Errorf("legacy AppArmor field = %q", got)
	}
	if ov.AppArmorProfile.Set {
		t.Error("annotation for another container must not apply")
	}
}

func TestPSSLevelSurvivesSlim(t *testing.T) {
	restricted := corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1.Container{{Name: "a", SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr(false),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
	}
	privileged := corev1.PodSpec{Containers: []corev1.Container{{Name: "a", SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}}}
	baseline := corev1.PodSpec{Containers: []corev1.Container{{Name: "a"}}}
	for want, spec := range map[string]corev1.PodSpec{"restricted": restricted, "privileged": privileged, "baseline": baseline} {
		w := FromObject(&corev1.Pod{Spec: spec})
		slim := w.Slim(Keep{PSSLevel: true, Resources: true})
		// Slim containers keep name, ports and resources only (for the
		// segmentation and LimitRange-aware rules), never security contexts.
		if lean := w.Slim(Keep{PSSLevel: true}); len(lean.Spec.Containers) != 0 {
			t.Errorf("%s: without Resources, containers without ports are dropped: %v", want, lean.Spec.Containers)
		}
		if string(slim.PSSLevel()) != want || slim.Containers != nil || len(slim.Spec.Containers) != 1 ||
			slim.Spec.Containers[0].SecurityContext != nil || slim.Spec.Containers[0].Name != "a" {
			t.Errorf("%s: slim level %s, containers %v", want, slim.PSSLevel(), slim.Containers)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("reading a dropped level must panic")
		}
	}()
	FromObject(&corev1.Pod{Spec: baseline}).Slim(Keep{}).PSSLevel()
}
