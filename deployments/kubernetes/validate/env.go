package main

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// envVar is one environment variable of a container as the kubelet would
// set it.
type envVar struct {
	value string
	// known is false for values from the downward API (fieldRef,
	// resourceFieldRef): not known before the pod runs.
	known bool
	// from says where it comes from: "value", "ConfigMap <name>" or
	// "Secret <name>".
	from   string
	secret bool
}

// containerEnv is a container's environment.
type containerEnv map[string]envVar

// resolveEnv computes c's environment in namespace ns: envFrom first, then
// env, later entries winning, as the kubelet does. A reference to a
// ConfigMap, Secret or key that the set does not hold is a problem unless
// marked optional.
func resolveEnv(c corev1.Container, ns string, set *objectSet, problem func(format string, args ...any)) containerEnv {
	env := containerEnv{}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm := set.configMaps[ns+"/"+from.ConfigMapRef.Name]
			if cm == nil {
				if !isTrue(from.ConfigMapRef.Optional) {
					problem("envFrom: no ConfigMap %q", from.ConfigMapRef.Name)
				}
				continue
			}
			for k, v := range cm.Data {
				env[from.Prefix+k] = envVar{value: v, known: true, from: "ConfigMap " + cm.Name}
			}
		case from.SecretRef != nil:
			sec := set.secrets[ns+"/"+from.SecretRef.Name]
			if sec == nil {
				if !isTrue(from.SecretRef.Optional) {
					problem("envFrom: no Secret %q", from.SecretRef.Name)
				}
				continue
			}
			for k, v := range secretData(sec) {
				env[from.Prefix+k] = envVar{value: v, known: true, from: "Secret " + sec.Name, secret: true}
			}
		}
	}
	seen := map[string]bool{}
	for _, e := range c.Env {
		if seen[e.Name] {
			problem("env: %s is set twice", e.Name)
		}
		seen[e.Name] = true
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = envVar{value: e.Value, known: true, from: "value"}
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			cm := set.configMaps[ns+"/"+ref.Name]
			v, ok := "", false
			if cm != nil {
				v, ok = cm.Data[ref.Key]
			}
			if !ok {
				if !isTrue(ref.Optional) {
					problem("env %s: no key %q in ConfigMap %q", e.Name, ref.Key, ref.Name)
				}
				continue
			}
			env[e.Name] = envVar{value: v, known: true, from: "ConfigMap " + ref.Name}
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			sec := set.secrets[ns+"/"+ref.Name]
			v, ok := "", false
			if sec != nil {
				v, ok = secretData(sec)[ref.Key]
			}
			if !ok {
				if !isTrue(ref.Optional) {
					problem("env %s: no key %q in Secret %q", e.Name, ref.Key, ref.Name)
				}
				continue
			}
			env[e.Name] = envVar{value: v, known: true, from: "Secret " + ref.Name, secret: true}
		default:
			env[e.Name] = envVar{from: "the downward API"}
		}
	}
	return env
}

// secretData is a Secret's data with stringData merged over it, as the API
// server stores it.
func secretData(s *corev1.Secret) map[string]string {
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	for k, v := range s.StringData {
		out[k] = v
	}
	return out
}

// get returns name's value, or def when it is not set. A value not known
// before the pod runs is returned as def, with ok false.
func (e containerEnv) get(name, def string) (value string, ok bool) {
	v, set := e[name]
	if !set {
		return def, true
	}
	if !v.known {
		return def, false
	}
	return v.value, true
}

// duration parses name as the projector does (time.ParseDuration).
func (e containerEnv) duration(name string, def time.Duration) (time.Duration, error) {
	v, set := e[name]
	if !set || !v.known {
		return def, nil
	}
	d, err := time.ParseDuration(v.value)
	if err != nil {
		return 0, fmt.Errorf("%s: not a duration: %q", name, v.value)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s: must be positive, got %s", name, v.value)
	}
	return d, nil
}

func isTrue(b *bool) bool { return b != nil && *b }

// brokerList normalises a comma-separated broker list for comparison.
func brokerList(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return strings.Join(parts, ",")
}
