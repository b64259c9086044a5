package admission

// The names the webhook's install pieces share: `guardrail webhook`, its
// `install` command, deploy/webhook/webhook.yaml and the Helm chart in
// deploy/helm/guardrail (a test checks that they agree).
const (
	// DefaultNamespace is the webhook's namespace.
	DefaultNamespace = "guardrail"
	// DefaultServiceName is the webhook's Service.
	DefaultServiceName = "guardrail-webhook"
	// DefaultConfigName is the ValidatingWebhookConfiguration.
	DefaultConfigName = "guardrail"
	// DefaultCASecret holds the CA the replicas share; its Lease has the
	// same name.
	DefaultCASecret = "guardrail-webhook-ca"
)
