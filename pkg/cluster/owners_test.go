package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/guardrail-k8s/guardrail/internal/testcluster"
	"github.com/guardrail-k8s/guardrail/pkg/cluster"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// TestForgedOwnersDoNotHide: with the real workload controllers and the
// garbage collector running, what the controllers made folds into its
// owner, and what only claims an owner does not: a privileged pod with a
// forged ownerReference to a benign Deployment's ReplicaSet, one naming
// the Deployment itself, and a controller-made pod given a privileged
// ephemeral container are each judged themselves. Before, all three
// vanished from the report.
func TestForgedOwnersDoNotHide(t *testing.T) {
	tc := testcluster.Dedicated(t, append(testcluster.RealControllers, "deployment-controller", "replicaset-controller",
		"statefulset-controller", "job-controller", "garbage-collector-controller")...)
	c, err := tc.Client()
	must(t, err)
	ctx := context.Background()
	const ns = "owners"
	_, err = c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	must(t, err)
	labels := map[string]string{"app": "web"}
	benign := corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27",
		SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr(false)}}}}
	d, err := c.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr(int32(2)), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: benign}}}, metav1.CreateOptions{})
	must(t, err)
	dbLabels := map[string]string{"app": "db"}
	_, err = c.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: appsv1.StatefulSetSpec{Replicas: ptr(int32(1)), Selector: &metav1.LabelSelector{MatchLabels: dbLabels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: dbLabels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "db", Image: "postgres:16",
				VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}}}}},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"}, Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}}}},
		metav1.CreateOptions{})
	must(t, err)
	_, err = c.BatchV1().Jobs(ns).Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "once"}, Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "job", Image: "busybox:1.36"}}}}}}, metav1.CreateOptions{})
	must(t, err)

	// Wait for the controllers: 2 web pods, 1 db pod, 1 job pod.
	var rs *appsv1.ReplicaSet
	var webPod *corev1.Pod
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		pods, _ := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		rss, _ := c.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
		if len(pods.Items) >= 4 && len(rss.Items) == 1 {
			rs = &rss.Items[0]
			for i := range pods.Items {
				if pods.Items[i].Labels["app"] == "web" {
					webPod = &pods.Items[i]
				}
			}
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if rs == nil || webPod == nil {
		t.Fatal("the workload controllers made no pods in 60 s")
	}
	priv := corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27", SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}}}
	forge := func(name, kind, owner string, uid string) {
		api := "apps/v1"
		_, err := c.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"forged": "yes"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: api, Kind: kind, Name: owner, UID: typesUID(uid), Controller: ptr(true)}}}, Spec: priv}, metav1.CreateOptions{})
		must(t, err)
	}
	forge("forged-rs", "ReplicaSet", rs.Name, string(rs.UID))
	forge("forged-deploy", "Deployment", d.Name, string(d.UID))
	webPod.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "busybox:1.36",
		SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}}}
	_, err = c.CoreV1().Pods(ns).UpdateEphemeralContainers(ctx, webPod.Name, webPod, metav1.UpdateOptions{})
	must(t, err)
	// The garbage collector keeps the forged pods: their owners exist.
	time.Sleep(2 * time.Second)
	for _, n := range []string{"forged-rs", "forged-deploy"} {
		if _, err := c.CoreV1().Pods(ns).Get(ctx, n, metav1.GetOptions{}); err != nil {
			t.Fatalf("the garbage collector removed %s: %v", n, err)
		}
	}

	cfg, err := tc.RESTConfig()
	must(t, err)
	res, err := cluster.Load(ctx, cfg, cluster.Options{Namespace: ns})
	must(t, err)
	got := map[string]bool{}
	kinds := map[string]int{}
	for _, o := range res.Objects {
		if o.Namespace() == ns {
			got[o.GVK.Kind+"/"+o.Name()] = true
			kinds[o.GVK.Kind]++
		}
	}
	for _, want := range []string{"Pod/forged-rs", "Pod/forged-deploy", "Pod/" + webPod.Name, "Deployment/web", "StatefulSet/db", "Job/once"} {
		if !got[want] {
			t.Errorf("%s is not judged; objects: %v", want, got)
		}
	}
	// The other web pod, the db pod (with its claim volume and token
	// volume) and the job pod are what their controllers made.
	if kinds["Pod"] != 3 || kinds["ReplicaSet"] != 0 {
		t.Errorf("kinds = %v; want the 3 pods above and no ReplicaSet (objects %v)", kinds, got)
	}
}

func typesUID(s string) types.UID { return types.UID(s) }
