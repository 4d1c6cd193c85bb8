package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// The CRD of KEDA's ScaledObject, verbatim from KEDA v2.21.0.
//
//go:embed schemas/keda.sh_scaledobjects.yaml
var scaledObjectCRD []byte

// scaledObjectVersion is the version of the CRD the manifests use.
const scaledObjectVersion = "v1alpha1"

// schema is an OpenAPI v3 schema of a CRD: the structural subset the API
// server enforces on custom resources. It is decoded strictly, so a CRD
// that uses a keyword this checker does not know fails loudly instead of
// passing unchecked.
type schema struct {
	Type                 string             `json:"type,omitempty"`
	Format               string             `json:"format,omitempty"`
	Description          string             `json:"description,omitempty"`
	Properties           map[string]*schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	Items                *schema            `json:"items,omitempty"`
	AdditionalProperties *schema            `json:"additionalProperties,omitempty"`
	Enum                 []any              `json:"enum,omitempty"`
	Default              any                `json:"default,omitempty"`
	Nullable             bool               `json:"nullable,omitempty"`
	Minimum              *float64           `json:"minimum,omitempty"`
	Maximum              *float64           `json:"maximum,omitempty"`
	MinLength            *int64             `json:"minLength,omitempty"`
	MaxLength            *int64             `json:"maxLength,omitempty"`
	MinItems             *int64             `json:"minItems,omitempty"`
	MaxItems             *int64             `json:"maxItems,omitempty"`
	Pattern              string             `json:"pattern,omitempty"`
	// AnyOf only accompanies x-kubernetes-int-or-string here (integer
	// or string); other uses are refused when the schema is loaded.
	AnyOf                 []*schema `json:"anyOf,omitempty"`
	IntOrString           bool      `json:"x-kubernetes-int-or-string,omitempty"`
	PreserveUnknownFields bool      `json:"x-kubernetes-preserve-unknown-fields,omitempty"`
	ListType              string    `json:"x-kubernetes-list-type,omitempty"`
	ListMapKeys           []string  `json:"x-kubernetes-list-map-keys,omitempty"`
	MapType               string    `json:"x-kubernetes-map-type,omitempty"`
	// Validations are CEL rules; they are not evaluated here. The only one
	// in KEDA's ScaledObject CRD (minReplicaCount <= maxReplicaCount) is a
	// project rule (rules.go), and TestCRDRules fails when the CRD's set
	// changes.
	Validations []celRule `json:"x-kubernetes-validations,omitempty"`

	pattern *regexp.Regexp
}

type celRule struct {
	Rule              string `json:"rule"`
	Message           string `json:"message,omitempty"`
	MessageExpression string `json:"messageExpression,omitempty"`
	Reason            string `json:"reason,omitempty"`
	FieldPath         string `json:"fieldPath,omitempty"`
	OptionalOldSelf   *bool  `json:"optionalOldSelf,omitempty"`
}

var loadSchema = sync.OnceValues(func() (*schema, error) {
	return crdSchema(scaledObjectCRD, scaledObjectVersion)
})

func scaledObjectSchema() (*schema, error) { return loadSchema() }

// crdSchema returns the openAPIV3Schema of version in the CRD crd.
func crdSchema(crd []byte, version string) (*schema, error) {
	var doc struct {
		Spec struct {
			Versions []struct {
				Name   string `json:"name"`
				Schema struct {
					OpenAPIV3Schema json.RawMessage `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	j, err := yaml.YAMLToJSON(crd)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(j, &doc); err != nil {
		return nil, err
	}
	for _, v := range doc.Spec.Versions {
		if v.Name != version {
			continue
		}
		var s schema
		strictErrs, err := kjson.UnmarshalStrict(v.Schema.OpenAPIV3Schema, &s)
		if err != nil {
			return nil, err
		}
		if len(strictErrs) > 0 {
			return nil, fmt.Errorf("openAPIV3Schema uses what this checker does not support: %v", strictErrs)
		}
		if err := s.compile("openAPIV3Schema"); err != nil {
			return nil, err
		}
		return &s, nil
	}
	return nil, fmt.Errorf("no version %s in the CRD", version)
}

// compile checks the schema's use of keywords and compiles its patterns.
func (s *schema) compile(path string) error {
	if len(s.AnyOf) > 0 && !s.IntOrString {
		return fmt.Errorf("%s: anyOf without x-kubernetes-int-or-string is not supported", path)
	}
	if s.Pattern != "" {
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			return fmt.Errorf("%s: pattern: %w", path, err)
		}
		s.pattern = re
	}
	for name, p := range s.Properties {
		if err := p.compile(path + ".properties." + name); err != nil {
			return err
		}
	}
	if s.Items != nil {
		if err := s.Items.compile(path + ".items"); err != nil {
			return err
		}
	}
	if s.AdditionalProperties != nil {
		if err := s.AdditionalProperties.compile(path + ".additionalProperties"); err != nil {
			return err
		}
	}
	return nil
}

// celRules lists the schema's CEL rules with their paths.
func (s *schema) celRules(path string) []string {
	var out []string
	for _, r := range s.Validations {
		out = append(out, path+": "+r.Rule)
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, s.Properties[n].celRules(join(path, n))...)
	}
	if s.Items != nil {
		out = append(out, s.Items.celRules(path+"[]")...)
	}
	if s.AdditionalProperties != nil {
		out = append(out, s.AdditionalProperties.celRules(path+"[*]")...)
	}
	return out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// validate checks v (decoded from JSON with UseNumber) against s, as the
// API server does for a custom resource with strict field validation, and
// returns what is wrong, each prefixed by its field path.
func (s *schema) validate(path string, v any) []string {
	where := path
	if where == "" {
		where = "<root>"
	}
	if v == nil {
		if s.Nullable {
			return nil
		}
		return []string{where + ": must not be null"}
	}
	if s.IntOrString {
		switch x := v.(type) {
		case string:
			return s.validateString(where, x)
		case json.Number:
			if _, err := x.Int64(); err != nil {
				return []string{fmt.Sprintf("%s: must be an integer or a string, got %s", where, x)}
			}
			return nil
		default:
			return []string{fmt.Sprintf("%s: must be an integer or a string, got %s", where, jsonType(v))}
		}
	}
	var errs []string
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: must be an object, got %s", where, jsonType(v))}
		}
		if path == "metadata" {
			// ObjectMeta: decoded strictly by decodeScaledObject, as the
			// API server does for every object.
			return nil
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok {
				errs = append(errs, fmt.Sprintf("%s: required field missing", join(path, r)))
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch {
			case s.Properties[k] != nil:
				errs = append(errs, s.Properties[k].validate(join(path, k), m[k])...)
			case s.AdditionalProperties != nil:
				errs = append(errs, s.AdditionalProperties.validate(join(path, k), m[k])...)
			case !s.PreserveUnknownFields:
				errs = append(errs, fmt.Sprintf("unknown field %q", join(path, k)))
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: must be an array, got %s", where, jsonType(v))}
		}
		if s.MinItems != nil && int64(len(a)) < *s.MinItems {
			errs = append(errs, fmt.Sprintf("%s: must have at least %d items, has %d", where, *s.MinItems, len(a)))
		}
		if s.MaxItems != nil && int64(len(a)) > *s.MaxItems {
			errs = append(errs, fmt.Sprintf("%s: must have at most %d items, has %d", where, *s.MaxItems, len(a)))
		}
		if s.Items != nil {
			for i, x := range a {
				errs = append(errs, s.Items.validate(fmt.Sprintf("%s[%d]", path, i), x)...)
			}
		}
	case "string":
		x, ok := v.(string)
		if !ok {
			return []string{fmt.Sprintf("%s: must be a string, got %s", where, jsonType(v))}
		}
		errs = append(errs, s.validateString(where, x)...)
	case "integer", "number":
		n, ok := v.(json.Number)
		if !ok {
			return []string{fmt.Sprintf("%s: must be %s, got %s", where, article(s.Type), jsonType(v))}
		}
		f, err := n.Float64()
		if err != nil {
			return []string{fmt.Sprintf("%s: %v", where, err)}
		}
		if s.Type == "integer" {
			i, err := n.Int64()
			if err != nil {
				return []string{fmt.Sprintf("%s: must be an integer, got %s", where, n)}
			}
			if s.Format == "int32" && (i < math.MinInt32 || i > math.MaxInt32) {
				errs = append(errs, fmt.Sprintf("%s: %d does not fit in int32", where, i))
			}
		}
		if s.Minimum != nil && f < *s.Minimum {
			errs = append(errs, fmt.Sprintf("%s: must be at least %v, got %s", where, *s.Minimum, n))
		}
		if s.Maximum != nil && f > *s.Maximum {
			errs = append(errs, fmt.Sprintf("%s: must be at most %v, got %s", where, *s.Maximum, n))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return []string{fmt.Sprintf("%s: must be a boolean, got %s", where, jsonType(v))}
		}
	case "":
		if !s.PreserveUnknownFields {
			errs = append(errs, fmt.Sprintf("%s: the schema has no type", where))
		}
	default:
		errs = append(errs, fmt.Sprintf("%s: schema type %q not supported", where, s.Type))
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", where, v, s.Enum))
	}
	return errs
}

func (s *schema) validateString(where, x string) []string {
	var errs []string
	n := int64(utf8.RuneCountInString(x))
	if s.MinLength != nil && n < *s.MinLength {
		errs = append(errs, fmt.Sprintf("%s: must be at least %d characters", where, *s.MinLength))
	}
	if s.MaxLength != nil && n > *s.MaxLength {
		errs = append(errs, fmt.Sprintf("%s: must be at most %d characters", where, *s.MaxLength))
	}
	if s.pattern != nil && !s.pattern.MatchString(x) {
		errs = append(errs, fmt.Sprintf("%s: %q does not match %s", where, x, s.Pattern))
	}
	return errs
}

func jsonType(v any) string {
	switch x := v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			return "a number"
		}
		return "an integer"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func article(t string) string {
	if t == "integer" {
		return "an integer"
	}
	return "a " + t
}
