package main

import (
	"fmt"
	"maps"
	"regexp"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// check runs the checks that strict decoding cannot do: each object on its own (a name, a
// selector that matches its own pod template, requests within limits, mounts of declared volumes,
// probes on declared ports) and across the render (a Service, PodDisruptionBudget or HPA that
// points at nothing; an Ingress backend that is not a rendered Service port). It is no
// replacement for the API server's validation, only the mistakes a chart is likely to make.
func check(objects []object) []string {
	var problems []string
	report := func(o object, format string, args ...any) {
		problems = append(problems, o.id()+": "+fmt.Sprintf(format, args...))
	}

	type workload struct {
		kind, name string
		labels     labels.Set
	}
	var workloads []workload
	services := map[string]*corev1.Service{}

	for _, o := range objects {
		if o.name == "" {
			report(o, "metadata.name: required")
		}
		var selector *metav1.LabelSelector
		var pod *corev1.PodTemplateSpec
		switch t := o.typed.(type) {
		case *appsv1.Deployment:
			selector, pod = t.Spec.Selector, &t.Spec.Template
			if ru := t.Spec.Strategy.RollingUpdate; ru != nil {
				checkIntOrPercent(o, "spec.strategy.rollingUpdate.maxSurge", ru.MaxSurge, report)
				checkIntOrPercent(o, "spec.strategy.rollingUpdate.maxUnavailable", ru.MaxUnavailable, report)
			}
		case *appsv1.StatefulSet:
			selector, pod = t.Spec.Selector, &t.Spec.Template
		case *appsv1.DaemonSet:
			selector, pod = t.Spec.Selector, &t.Spec.Template
		case *batchv1.Job:
			selector, pod = t.Spec.Selector, &t.Spec.Template
		case *batchv1.CronJob:
			pod = &t.Spec.JobTemplate.Spec.Template
		case *corev1.Service:
			services[t.Name] = t
		}
		if pod == nil {
			continue
		}
		workloads = append(workloads, workload{o.kind, o.name, pod.Labels})
		if selector != nil || o.kind == "Deployment" || o.kind == "StatefulSet" || o.kind == "DaemonSet" {
			if s, err := metav1.LabelSelectorAsSelector(selector); err != nil || selector == nil {
				report(o, "spec.selector: required and valid (%v)", err)
			} else if s.Empty() || !s.Matches(labels.Set(pod.Labels)) {
				report(o, "spec.selector: %q does not match the pod template labels %v", s, pod.Labels)
			}
		}
		checkPod(o, &pod.Spec, report)
	}

	selectsSomething := func(sel labels.Selector) bool {
		for _, w := range workloads {
			if sel.Matches(w.labels) {
				return true
			}
		}
		return false
	}
	for _, o := range objects {
		switch t := o.typed.(type) {
		case *corev1.Service:
			if len(t.Spec.Selector) > 0 && !selectsSomething(labels.SelectorFromSet(t.Spec.Selector)) {
				report(o, "spec.selector: %v selects no rendered pod template", t.Spec.Selector)
			}
		case *policyv1.PodDisruptionBudget:
			s, err := metav1.LabelSelectorAsSelector(t.Spec.Selector)
			switch {
			case err != nil || t.Spec.Selector == nil:
				report(o, "spec.selector: required and valid (%v)", err)
			case !selectsSomething(s):
				report(o, "spec.selector: %q selects no rendered pod template", s)
			}
			if (t.Spec.MinAvailable == nil) == (t.Spec.MaxUnavailable == nil) {
				report(o, "spec: exactly one of minAvailable and maxUnavailable")
			}
			checkIntOrPercent(o, "spec.minAvailable", t.Spec.MinAvailable, report)
			checkIntOrPercent(o, "spec.maxUnavailable", t.Spec.MaxUnavailable, report)
		case *autoscalingv2.HorizontalPodAutoscaler:
			ref := t.Spec.ScaleTargetRef
			found := false
			for _, w := range workloads {
				found = found || (w.kind == ref.Kind && w.name == ref.Name)
			}
			if !found {
				report(o, "spec.scaleTargetRef: %s/%s is not in the render", ref.Kind, ref.Name)
			}
			if t.Spec.MinReplicas != nil && *t.Spec.MinReplicas > t.Spec.MaxReplicas {
				report(o, "spec.minReplicas: %d > maxReplicas %d", *t.Spec.MinReplicas, t.Spec.MaxReplicas)
			}
		case *networkingv1.Ingress:
			for i, rule := range t.Spec.Rules {
				if rule.HTTP == nil {
					continue
				}
				for j, path := range rule.HTTP.Paths {
					at := fmt.Sprintf("spec.rules[%d].http.paths[%d].backend.service", i, j)
					if b := path.Backend.Service; b != nil && !servesPort(services[b.Name], b.Port) {
						report(o, "%s: %s port %v is not a rendered Service port", at, b.Name, b.Port)
					}
				}
			}
		}
	}
	return problems
}

// checkPod checks one pod spec: resource requests within limits, mounts of declared volumes, and
// HTTP/TCP probes on a port the container declares when they name it.
func checkPod(o object, spec *corev1.PodSpec, report func(object, string, ...any)) {
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = true
	}
	all := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	if len(spec.Containers) == 0 {
		report(o, "pod spec: at least one container")
	}
	for _, c := range all {
		at := "container " + c.Name
		if c.Image == "" {
			report(o, "%s: image: required", at)
		}
		for _, name := range slices.Sorted(maps.Keys(c.Resources.Limits)) {
			limit := c.Resources.Limits[name]
			if req, ok := c.Resources.Requests[name]; ok && req.Cmp(limit) > 0 {
				report(o, "%s: resources.requests.%s %s exceeds the limit %s", at, name, req.String(), limit.String())
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				report(o, "%s: volumeMounts %q: no such volume in the pod", at, m.Name)
			}
		}
		ports := map[string]bool{}
		for _, p := range c.Ports {
			ports[p.Name] = true
		}
		probes := []struct {
			field string
			probe *corev1.Probe
		}{{"startupProbe", c.StartupProbe}, {"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}}
		for _, p := range probes {
			probe := p.probe
			if probe == nil {
				continue
			}
			var port *intstr.IntOrString
			if probe.HTTPGet != nil {
				port = &probe.HTTPGet.Port
			} else if probe.TCPSocket != nil {
				port = &probe.TCPSocket.Port
			}
			if port != nil && port.Type == intstr.String && !ports[port.StrVal] {
				report(o, "%s: %s: port %q is not a declared container port", at, p.field, port.StrVal)
			}
		}
	}
}

func servesPort(svc *corev1.Service, port networkingv1.ServiceBackendPort) bool {
	if svc == nil {
		return false
	}
	for _, p := range svc.Spec.Ports {
		if (port.Name != "" && p.Name == port.Name) || (port.Name == "" && p.Port == port.Number) {
			return true
		}
	}
	return false
}

// checkIntOrPercent: a count or a percentage ("25%"); any other string decodes but is rejected by
// the API server.
func checkIntOrPercent(o object, field string, v *intstr.IntOrString, report func(object, string, ...any)) {
	if v == nil {
		return
	}
	if v.Type == intstr.Int && v.IntVal < 0 {
		report(o, "%s: must not be negative", field)
	}
	if v.Type == intstr.String && !percent.MatchString(v.StrVal) {
		report(o, "%s: %q is neither a count nor a percentage", field, v.StrVal)
	}
}

var percent = regexp.MustCompile(`^[0-9]+%$`)
