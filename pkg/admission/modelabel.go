package admission

import (
	"encoding/json"
	"fmt"
	"slices"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultModeAdmins may lower a namespace from enforce when no others are
// configured: the group the API server gives cluster administrators.
var DefaultModeAdmins = []string{"system:masters"}

// reviewModeLabel reviews a change of a Namespace's mode label (the
// mode-label hook matches only such changes). A value that is not a mode is
// denied, with the valid ones. Lowering a namespace from enforce, by label
// or by removing the label, is allowed only to ModeAdmins: anyone who may
// patch a namespace could otherwise switch its enforcement off.
func (h *Handler) reviewModeLabel(req *admissionv1.AdmissionRequest, resp *admissionv1.AdmissionResponse, d *Decision) {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return
	}
	deny := func(msg string) {
		resp.Allowed, d.Allowed = false, false
		resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden, Message: msg}
	}
	name := req.Name
	newLabels, err := labelsOf(req.Object.Raw)
	if err != nil {
		deny("guardrail could not read the namespace's labels: " + err.Error())
		return
	}
	if name == "" {
		name = newLabels["kubernetes.io/metadata.name"]
	}
	d.Mode = h.Policy.ModeFor(name, newLabels)
	if v, ok := newLabels[ModeLabel]; ok {
		if _, err := ParseMode(v); err != nil {
			deny(fmt.Sprintf("guardrail denied the request: label %s=%q is not a mode; use one of enforce, warn, audit (lower case), or remove the label to use the cluster's default", ModeLabel, v))
			return
		}
	}
	var oldLabels map[string]string
	if req.Operation == admissionv1.Update {
		if oldLabels, err = labelsOf(req.OldObject.Raw); err != nil {
			deny("guardrail could not read the namespace's labels: " + err.Error())
			return
		}
	}
	before, after := h.Policy.ModeFor(name, oldLabels), d.Mode
	if before != Enforce || after == Enforce || h.isModeAdmin(req) {
		return
	}
	admins := h.ModeAdmins
	if len(admins) == 0 {
		admins = DefaultModeAdmins
	}
	deny(fmt.Sprintf("guardrail denied the request: namespace %s is in enforce mode, and only %v may lower it to %s (admission.modeAdmins in the config)", name, admins, after))
}

func (h *Handler) isModeAdmin(req *admissionv1.AdmissionRequest) bool {
	admins := h.ModeAdmins
	if len(admins) == 0 {
		admins = DefaultModeAdmins
	}
	if slices.Contains(admins, req.UserInfo.Username) {
		return true
	}
	for _, g := range req.UserInfo.Groups {
		if slices.Contains(admins, g) {
			return true
		}
	}
	return false
}

func labelsOf(raw []byte) (map[string]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var ns struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &ns); err != nil {
		return nil, fmt.Errorf("not a Namespace object")
	}
	return ns.Metadata.Labels, nil
}
