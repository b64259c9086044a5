package netpol

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestCheckService: a connection to a Service port is judged on each
// backend's target port; where the Service port differs and the policies
// answer differently for it, the verdict depends on the CNI unless the
// profile says policies see the target port.
func TestCheckService(t *testing.T) {
	web := &Pod{Namespace: "shop", Name: "Deployment/web", Labels: map[string]string{"app": "web"}, Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}
	old := &Pod{Namespace: "shop", Name: "Deployment/web-old", Labels: map[string]string{"app": "web"}} // declares no "http" port
	client := &Pod{Namespace: "shop", Name: "Deployment/client", Labels: map[string]string{"app": "client"}}
	svc := &Service{Namespace: "shop", Name: "web", Selector: map[string]string{"app": "web"},
		Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}, {Port: 8080}}}
	allow := func(port int32) *networkingv1.NetworkPolicy {
		p := intstr.FromInt32(port)
		return policy("shop", "web", networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: &p}}}}})
	}
	calico, _ := Profile("calico")
	for _, tc := range []struct {
		name   string
		policy *networkingv1.NetworkPolicy
		cni    *CNI
		port   int32
		want   Verdict
	}{
		{"target port allowed, service port not", allow(8080), nil, 80, Depends},
		{"target port allowed, calico checks the target port", allow(8080), calico, 80, Allow},
		{"policy written for the service port", allow(80), nil, 80, Depends},
		{"policy written for the service port, calico", allow(80), calico, 80, Deny},
		{"same port on both sides", allow(8080), nil, 8080, Allow},
	} {
		m := NewModel([]*Pod{web, old, client}, nil, []*networkingv1.NetworkPolicy{tc.policy})
		m.Services = []*Service{svc}
		m.SetCNI(tc.cni)
		e, err := m.CheckService(client, m.Service("shop/Service/web"), tc.port, "")
		if err != nil {
			t.Fatal(err)
		}
		if e.Verdict != tc.want {
			t.Errorf("%s: %v, want %v (%+v)", tc.name, e.Verdict, tc.want, e)
		}
		if tc.port == 80 && (len(e.Backends) != 1 || e.Backends[0].TargetPort != 8080 || len(e.Notes) != 1 || !strings.Contains(e.Notes[0], `no port named "http"`)) {
			t.Errorf("%s: backends %+v notes %v: want web on 8080, and a note on web-old", tc.name, e.Backends, e.Notes)
		}
	}
	m := NewModel([]*Pod{web, client}, nil, nil)
	m.Services = []*Service{svc}
	if _, err := m.CheckService(client, svc, 443, ""); err == nil || !strings.Contains(err.Error(), "80/TCP, 8080/TCP") {
		t.Errorf("unknown port: %v", err)
	}
}
