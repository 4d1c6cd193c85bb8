package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
)

// objectSet holds the objects one kustomization renders, decoded.
type objectSet struct {
	// undecodable counts the objects that failed their schema: the rules,
	// which relate objects, are not applied then (a missing object would
	// only cause follow-on problems).
	undecodable   int
	configMaps    map[string]*corev1.ConfigMap // by namespace/name
	secrets       map[string]*corev1.Secret
	deployments   []*appsv1.Deployment
	pdbs          []*policyv1.PodDisruptionBudget
	scaledObjects []*scaledObject
}

func newObjectSet() *objectSet {
	return &objectSet{configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}}
}

// scaledObject is the part of a KEDA ScaledObject (keda.sh/v1alpha1) the
// project's rules read, decoded after the object has passed KEDA's CRD
// schema (crd.go). Field names as in KEDA's apis/keda/v1alpha1.
type scaledObject struct {
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ScaleTargetRef struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Name       string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount *int32 `json:"minReplicaCount"`
		MaxReplicaCount *int32 `json:"maxReplicaCount"`
		Triggers        []struct {
			Type     string            `json:"type"`
			Name     string            `json:"name"`
			Metadata map[string]string `json:"metadata"`
		} `json:"triggers"`
	} `json:"spec"`
}

// decode checks one rendered object against its schema and keeps it for
// the rules. Objects of other kinds are problems: the validator cannot
// vouch for them.
func (s *objectSet) decode(apiVersion, kind, name string, data []byte, add func(object, format string, args ...any)) {
	object := kind + "/" + name
	strict := func(into any) bool {
		strictErrs, err := kjson.UnmarshalStrict(data, into)
		if err != nil {
			add(object, "%v", err)
			s.undecodable++
			return false
		}
		for _, e := range strictErrs {
			add(object, "%v", e)
		}
		return true
	}
	switch apiVersion + " " + kind {
	case "v1 Namespace":
		strict(&corev1.Namespace{})
	case "v1 ServiceAccount":
		strict(&corev1.ServiceAccount{})
	case "v1 Service":
		strict(&corev1.Service{})
	case "v1 ConfigMap":
		var o corev1.ConfigMap
		if strict(&o) {
			s.configMaps[o.Namespace+"/"+o.Name] = &o
		}
	case "v1 Secret":
		var o corev1.Secret
		if strict(&o) {
			s.secrets[o.Namespace+"/"+o.Name] = &o
		}
	case "apps/v1 Deployment":
		var o appsv1.Deployment
		if strict(&o) {
			s.deployments = append(s.deployments, &o)
		}
	case "policy/v1 PodDisruptionBudget":
		var o policyv1.PodDisruptionBudget
		if strict(&o) {
			s.pdbs = append(s.pdbs, &o)
		}
	case "keda.sh/v1alpha1 ScaledObject":
		if o, ok := decodeScaledObject(object, data, add); ok {
			s.scaledObjects = append(s.scaledObjects, o)
		} else {
			s.undecodable++
		}
	default:
		add(object, "apiVersion %s kind %s: no schema in this validator (it knows v1 Namespace, ServiceAccount, "+
			"Service, ConfigMap, Secret; apps/v1 Deployment; policy/v1 PodDisruptionBudget; keda.sh/v1alpha1 ScaledObject)",
			apiVersion, kind)
	}
}

// decodeScaledObject checks a ScaledObject against KEDA's CRD schema, and
// its metadata as the API server does for every object (ObjectMeta).
func decodeScaledObject(object string, data []byte, add func(object, format string, args ...any)) (*scaledObject, bool) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		add(object, "%v", err)
		return nil, false
	}
	schema, err := scaledObjectSchema()
	if err != nil {
		add(object, "KEDA's CRD schema: %v", err)
		return nil, false
	}
	errs := schema.validate("", v)
	for _, e := range errs {
		add(object, "%s", e)
	}
	if m, ok := v.(map[string]any); ok {
		if meta, ok := m["metadata"]; ok {
			mdata, _ := json.Marshal(meta)
			strictErrs, err := kjson.UnmarshalStrict(mdata, &metav1.ObjectMeta{})
			if err != nil {
				add(object, "metadata: %v", err)
				errs = append(errs, err.Error())
			}
			for _, e := range strictErrs {
				add(object, "metadata: %v", e)
			}
		}
	}
	if len(errs) > 0 {
		return nil, false
	}
	var o scaledObject
	if err := json.Unmarshal(data, &o); err != nil {
		add(object, "%v", fmt.Errorf("decoding: %w", err))
		return nil, false
	}
	return &o, true
}
