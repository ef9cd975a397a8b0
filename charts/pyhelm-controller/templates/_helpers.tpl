{{- define "pyhelm-controller.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "pyhelm-controller.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "pyhelm-controller.labels" -}}
{{ include "pyhelm-controller.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "pyhelm-controller.serviceAccountName" -}}
{{- default (include "pyhelm-controller.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* cluster-scoped names carry the namespace: two installs never collide */}}
{{- define "pyhelm-controller.clusterName" -}}
{{- printf "%s-%s" .Release.Namespace (include "pyhelm-controller.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
