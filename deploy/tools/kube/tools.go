//go:build tools

// Package kube pins the commands scripts/services/kube.sh builds (kube-apiserver, kubectl) in
// this module's go.mod and go.sum; it is never compiled itself.
package kube

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
