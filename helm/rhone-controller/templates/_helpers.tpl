{{/* Names, labels and the values shared by several templates. */}}

{{- define "rhone-controller.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* A release named like the chart is not repeated: rhone-controller,
     not rhone-controller-rhone-controller. */}}
{{- define "rhone-controller.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "rhone-controller.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "rhone-controller.labels" -}}
helm.sh/chart: {{ include "rhone-controller.chart" . }}
{{ include "rhone-controller.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "rhone-controller.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rhone-controller.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "rhone-controller.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "rhone-controller.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding the Fly token, and its key. */}}
{{- define "rhone-controller.flySecret" -}}
{{- default (printf "%s-fly" (include "rhone-controller.fullname" .)) .Values.fly.existingSecret }}
{{- end }}

{{- define "rhone-controller.postgresSecret" -}}
{{- default (printf "%s-postgres" (include "rhone-controller.fullname" .)) .Values.source.postgres.existingSecret }}
{{- end }}

{{/* Leader election (replicaCount > 1) takes a Postgres advisory lock:
     in the Postgres source's database, or in one given for the lock
     alone with a git or inline source. The lock is named after the
     release, so releases sharing a database do not wait on each other. */}}
{{- define "rhone-controller.lockSecret" -}}
{{- default (printf "%s-lock" (include "rhone-controller.fullname" .)) .Values.leaderElection.postgres.existingSecret }}
{{- end }}

{{- define "rhone-controller.leaderElectName" -}}
{{- default (printf "%s/%s" .Release.Namespace (include "rhone-controller.fullname" .)) .Values.leaderElection.name }}
{{- end }}

{{- define "rhone-controller.checkLeaderElection" -}}
{{- $lock := .Values.leaderElection.postgres }}
{{- if and (gt (int .Values.replicaCount) 1) (ne .Values.source.type "postgres") (not $lock.existingSecret) (not $lock.url) }}
{{- fail "replicaCount > 1 needs a Postgres database for the leader lock: set leaderElection.postgres.existingSecret (a Secret holding a postgres:// URL) or leaderElection.postgres.url, or use source.type=postgres" }}
{{- end }}
{{- end }}

{{/* Where the controller reads RegionSets inside the pod. git-sync keeps
     the checkout in /git and publishes each commit by swapping the
     /git/current symlink; the controller follows the swap. */}}
{{- define "rhone-controller.gitRoot" -}}/git{{- end }}
{{- define "rhone-controller.inlineDir" -}}/etc/rhone-controller/regionsets{{- end }}

{{- define "rhone-controller.sourcePath" -}}
{{- if eq .Values.source.type "git" }}
{{- $path := trimAll "/" .Values.source.git.path }}
{{- if $path }}{{ include "rhone-controller.gitRoot" . }}/current/{{ $path }}
{{- else }}{{ include "rhone-controller.gitRoot" . }}/current
{{- end }}
{{- else if eq .Values.source.type "inline" }}
{{- include "rhone-controller.inlineDir" . }}
{{- end }}
{{- end }}

{{/* The same locked-down settings for every container. */}}
{{- define "rhone-controller.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}
