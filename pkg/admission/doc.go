// Package admission is Guardrail's validating admission webhook: a thin
// handler that decodes an AdmissionReview, asks the same engine as
// `guardrail scan` about the object, and answers according to the
// namespace's mode (enforce, warn or audit); and the HTTPS server around it,
// where every transport limit lives.
package admission
