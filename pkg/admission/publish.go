package admission

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/guardrail-k8s/guardrail/pkg/rules"
)

// publisher writes the webhook configuration whenever the bundle or the
// set of namespaces changes (namespace names decide which unlabelled
// namespaces' hook fails closed).
type publisher struct {
	client  kubernetes.Interface
	log     *slog.Logger
	rules   []*rules.Rule
	install InstallOptions
	enabled bool

	mu    sync.Mutex
	cur   []byte
	names []string
}

func (p *publisher) bundle(ctx context.Context, b []byte) error {
	p.mu.Lock()
	p.cur = b
	names := p.names
	p.mu.Unlock()
	return p.write(ctx, b, names)
}

func (p *publisher) write(ctx context.Context, b []byte, names []string) error {
	if !p.enabled {
		return nil
	}
	o := p.install
	o.CABundle, o.Namespaces = b, names
	return ApplyConfiguration(ctx, p.client, Configuration(p.rules, o))
}

// followNamespaces republishes when namespaces come or go, at most every
// two seconds.
func (p *publisher) followNamespaces(ctx context.Context) {
	factory := informers.NewSharedInformerFactory(p.client, 10*time.Minute)
	inf := factory.Core().V1().Namespaces()
	changed := make(chan struct{}, 1)
	poke := func(any) {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: poke, DeleteFunc: poke})
	factory.Start(ctx.Done())
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		time.Sleep(2 * time.Second)
		list, err := inf.Lister().List(labels.Everything())
		if err != nil {
			continue
		}
		names := make([]string, 0, len(list))
		for _, n := range list {
			names = append(names, n.Name)
		}
		slices.Sort(names)
		p.mu.Lock()
		same := slices.Equal(names, p.names)
		p.names = names
		b := p.cur
		p.mu.Unlock()
		if !same && b != nil {
			if err := p.write(ctx, b, names); err != nil {
				p.log.Error("republishing the webhook configuration failed", "err", err)
			}
		}
	}
}

// ApplyConfiguration creates the configuration or updates it in place.
func ApplyConfiguration(ctx context.Context, c kubernetes.Interface, conf *admissionregv1.ValidatingWebhookConfiguration) error {
	api := c.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	cur, err := api.Get(ctx, conf.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = api.Create(ctx, conf, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	conf.ResourceVersion = cur.ResourceVersion
	_, err = api.Update(ctx, conf, metav1.UpdateOptions{})
	return err
}
