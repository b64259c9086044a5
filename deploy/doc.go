// Package deploy holds the install pieces (the raw manifests in webhook/
// and scanner/, the Helm chart in helm/guardrail) and, in its tests, the
// checks that they agree with each other and with the code: names,
// versions, the image build, and that each installs cleanly and scans
// clean.
package deploy
