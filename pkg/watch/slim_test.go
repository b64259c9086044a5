package watch

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestTransformKeepsOnlyWhatRulesRead: the cached pod keeps its addresses
// and loses managedFields, conditions and container statuses; a node keeps
// its addresses and versions and loses its image list.
func TestTransformKeepsOnlyWhatRulesRead(t *testing.T) {
	m := &managers{m: map[string]change{}}
	now := metav1.Now()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{UID: "u1", ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl", Time: &now}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.7", PodIPs: []corev1.PodIP{{IP: "10.0.0.7"}},
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "c", Image: "x"}}},
	}
	out, _ := m.transform(pod)
	p := out.(*corev1.Pod)
	if p.ManagedFields != nil || p.Status.Conditions != nil || p.Status.ContainerStatuses != nil {
		t.Errorf("pod kept what no rule reads: %+v", p.Status)
	}
	if p.Status.PodIP != "10.0.0.7" || len(p.Status.PodIPs) != 1 || p.Status.Phase != corev1.PodRunning {
		t.Errorf("pod lost its addresses: %+v", p.Status)
	}
	if m.get("u1").manager != "kubectl" {
		t.Errorf("the field manager was not noted before managedFields went")
	}
	node := &corev1.Node{Status: corev1.NodeStatus{
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "192.168.0.2"}},
		NodeInfo:  corev1.NodeSystemInfo{KubeletVersion: "v1.37.2"},
		Images:    []corev1.ContainerImage{{Names: []string{"big"}, SizeBytes: 1 << 30}},
	}}
	out, _ = m.transform(node)
	n := out.(*corev1.Node)
	if n.Status.Images != nil || len(n.Status.Addresses) != 1 || n.Status.NodeInfo.KubeletVersion != "v1.37.2" {
		t.Errorf("node status slimmed wrongly: %+v", n.Status)
	}
}
