{{/*
The pod template shared by every role. Call with
  (dict "root" $ "role" "detector" "values" .Values.detector "job" false)
Each role runs the same image with `vigil <role> --config /etc/vigil/config.json`, serves
/healthz, /readyz and /metrics on the HTTP port, and reads its connections from the Secret.
A role without "probes" (the `vigil train` job, a batch command with no server) gets none.
"values" may carry gpu.enabled: then the GPU is added to the limits and the GPU nodeSelector,
tolerations and runtimeClassName apply; without it none of them is rendered.
*/}}
{{- define "vigil.podTemplate" -}}
{{- $root := .root }}
{{- $v := .values }}
{{- $gpu := and $v.gpu $v.gpu.enabled }}
{{- $port := include "vigil.httpPort" $root | int -}}
metadata:
  labels:
    {{- include "vigil.roleSelectorLabels" . | nindent 4 }}
    app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
    {{- with $root.Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # Roll the pods when the configuration or the chart-managed Secret changes.
    checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
    {{- if not $root.Values.connections.existingSecret }}
    checksum/connections: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
    {{- end }}
    {{- if and $root.Values.metrics.scrapeAnnotations (not .job) }}
    prometheus.io/scrape: "true"
    prometheus.io/port: {{ $port | quote }}
    prometheus.io/path: /metrics
    {{- end }}
    {{- with $root.Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "vigil.serviceAccountName" $root }}
  # Vigil never talks to the Kubernetes API.
  automountServiceAccountToken: false
  {{- with $root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml $root.Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
  {{- if .job }}
  # A failed run is retried as a new pod (the Job's backoffLimit), keeping the failed one's logs.
  restartPolicy: Never
  {{- end }}
  {{- with $v.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- if and $gpu $v.gpu.runtimeClassName }}
  runtimeClassName: {{ $v.gpu.runtimeClassName }}
  {{- end }}
  {{- $nodeSelector := $v.nodeSelector | default dict }}
  {{- if $gpu }}
  {{- $nodeSelector = merge (deepCopy $nodeSelector) ($v.gpu.nodeSelector | default dict) }}
  {{- end }}
  {{- with $nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- $tolerations := $v.tolerations | default list }}
  {{- if $gpu }}
  {{- $tolerations = concat $tolerations ($v.gpu.tolerations | default list) }}
  {{- end }}
  {{- with $tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if and $root.Values.topologySpread.enabled (not .job) }}
  topologySpreadConstraints:
    - maxSkew: {{ $root.Values.topologySpread.maxSkew }}
      topologyKey: {{ $root.Values.topologySpread.topologyKey }}
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "vigil.roleSelectorLabels" . | nindent 10 }}
  {{- end }}
  containers:
    - name: {{ .role }}
      image: {{ include "vigil.image" $root }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      args:
        - {{ .role }}
        - --config
        - /etc/vigil/config.json
        {{- range $v.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      ports:
        - name: http
          containerPort: {{ $port }}
          protocol: TCP
      envFrom:
        - secretRef:
            name: {{ include "vigil.secretName" $root }}
      env:
        - name: NODE_OPTIONS
          value: {{ $v.nodeOptions | quote }}
        {{- with $v.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with ($v.probes | default dict).startup }}
      {{- if .enabled }}
      # Recovery (state restore and replay) may keep /healthz slow; liveness starts only after this.
      startupProbe:
        httpGet: { path: /healthz, port: http }
        periodSeconds: {{ .periodSeconds }}
        failureThreshold: {{ .failureThreshold }}
        timeoutSeconds: {{ .timeoutSeconds | default 3 }}
      {{- end }}
      {{- end }}
      {{- with ($v.probes | default dict).liveness }}
      livenessProbe:
        httpGet: { path: /healthz, port: http }
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with ($v.probes | default dict).readiness }}
      readinessProbe:
        httpGet: { path: /readyz, port: http }
        {{- toYaml . | nindent 8 }}
      {{- end }}
      resources:
        {{- $resources := deepCopy ($v.resources | default dict) }}
        {{- if $gpu }}
        {{- $limits := get $resources "limits" | default dict }}
        {{- $_ := set $limits $v.gpu.resourceName ($v.gpu.count | toString) }}
        {{- $_ := set $resources "limits" $limits }}
        {{- end }}
        {{- toYaml $resources | nindent 8 }}
      securityContext:
        {{- toYaml $root.Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/vigil
          readOnly: true
        - name: tmp
          mountPath: /tmp
        - name: data
          mountPath: /var/lib/vigil
  volumes:
    - name: config
      configMap:
        name: {{ include "vigil.fullname" $root }}-config
    # The root filesystem is read-only: scratch space and local state live in emptyDirs.
    - name: tmp
      emptyDir: {}
    - name: data
      emptyDir: {}
{{- end }}
