{{- define "guardrail.fullname" -}}guardrail-webhook{{- end -}}
{{- define "guardrail.labels" -}}
app.kubernetes.io/name: guardrail
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}
{{- define "guardrail.selector" -}}
app: guardrail-webhook
{{- end -}}
{{- define "guardrail.image" -}}
{{- $tag := default (printf "v%s" .Chart.AppVersion) .Values.image.tag -}}
{{- if .Values.image.digest -}}{{ .Values.image.repository }}:{{ $tag }}@{{ .Values.image.digest }}{{- else -}}{{ .Values.image.repository }}:{{ $tag }}{{- end -}}
{{- end -}}
