package checks

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Object is one rendered manifest decoded into its typed API struct
// (*appsv1.Deployment, *corev1.Service, …).
type Object struct {
	GVK   schema.GroupVersionKind
	Name  string
	Value any
}

// newTyped returns an empty typed value for each kind the manifests may
// contain. A kind missing here fails the render: every object is checked.
func newTyped(gvk schema.GroupVersionKind) (any, bool) {
	switch gvk {
	case corev1.SchemeGroupVersion.WithKind("Namespace"):
		return &corev1.Namespace{}, true
	case corev1.SchemeGroupVersion.WithKind("ServiceAccount"):
		return &corev1.ServiceAccount{}, true
	case corev1.SchemeGroupVersion.WithKind("ConfigMap"):
		return &corev1.ConfigMap{}, true
	case corev1.SchemeGroupVersion.WithKind("Service"):
		return &corev1.Service{}, true
	case appsv1.SchemeGroupVersion.WithKind("Deployment"):
		return &appsv1.Deployment{}, true
	case autoscalingv2.SchemeGroupVersion.WithKind("HorizontalPodAutoscaler"):
		return &autoscalingv2.HorizontalPodAutoscaler{}, true
	case policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget"):
		return &policyv1.PodDisruptionBudget{}, true
	case networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"):
		return &networkingv1.NetworkPolicy{}, true
	case networkingv1.SchemeGroupVersion.WithKind("Ingress"):
		return &networkingv1.Ingress{}, true
	case schema.GroupVersion(gatewayv1.GroupVersion).WithKind("HTTPRoute"):
		return &gatewayv1.HTTPRoute{}, true
	case monitoringv1.SchemeGroupVersion.WithKind("ServiceMonitor"):
		return &monitoringv1.ServiceMonitor{}, true
	case monitoringv1.SchemeGroupVersion.WithKind("PrometheusRule"):
		return &monitoringv1.PrometheusRule{}, true
	}
	return nil, false
}

// DecodeStrict decodes one object's JSON into its typed struct the way the
// API server's strict field validation does: unknown fields, duplicate
// fields and wrongly cased field names are errors.
func DecodeStrict(gvk schema.GroupVersionKind, data []byte) (any, error) {
	v, ok := newTyped(gvk)
	if !ok {
		return nil, fmt.Errorf("no typed struct known for %s", gvk)
	}
	strict, err := kjson.UnmarshalStrict(data, v)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", gvk.Kind, err)
	}
	if len(strict) > 0 {
		return nil, fmt.Errorf("decode %s strictly: %v", gvk.Kind, strict)
	}
	return v, nil
}

// Render builds the kustomization in dir (on the real filesystem, as
// `kubectl apply -k` would) and decodes every resulting object strictly.
func Render(dir string) ([]Object, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var objs []Object
	for _, r := range m.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		gvk := schema.FromAPIVersionAndKind(r.GetApiVersion(), r.GetKind())
		v, err := DecodeStrict(gvk, data)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", gvk.Kind, r.GetName(), err)
		}
		objs = append(objs, Object{GVK: gvk, Name: r.GetName(), Value: v})
	}
	return objs, nil
}

// Get returns the object of type T named name, if any.
func Get[T any](objs []Object, name string) (T, bool) {
	for _, o := range objs {
		if v, ok := o.Value.(T); ok && o.Name == name {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// All returns every object of type T.
func All[T any](objs []Object) []T {
	var out []T
	for _, o := range objs {
		if v, ok := o.Value.(T); ok {
			out = append(out, v)
		}
	}
	return out
}
