package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The manifests as committed are valid.
func TestManifests(t *testing.T) {
	rep, err := Validate("..", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Error(p)
	}
	want := map[string]int{"Deployment": 3, "PodDisruptionBudget": 3, "ScaledObject": 3, "ConfigMap": 1, "Secret": 1, "Namespace": 1}
	for kind, n := range want {
		if rep.Objects[kind] != n {
			t.Errorf("%d %s rendered, want %d (all: %v)", rep.Objects[kind], kind, n, rep.Objects)
		}
	}
	if got := strings.Join(rep.Kustomizations, " "); got != ". autoscaling base" {
		t.Errorf("kustomizations %q", got)
	}
}

// edit is one change to a copy of the manifests: the first occurrence of
// old in file (relative to deployments/kubernetes) becomes new; an empty
// old writes new as the whole file.
type edit struct{ file, old, new string }

// variant is a broken copy of the manifests and the problems it must have.
type variant struct {
	name  string
	edits []edit
	want  []string
}

// Each broken variant of the manifests fails with the problem it has.
func TestBrokenVariants(t *testing.T) {
	const (
		user     = "base/user-projector.yaml"
		stats    = "base/statistics-projector.yaml"
		config   = "base/config.yaml"
		scaling  = "autoscaling/scaledobjects.yaml"
		baseKust = "base/kustomization.yaml"
	)
	mongoFromSecret := "            - name: MONGODB_URI\n              valueFrom:\n                secretKeyRef:\n" +
		"                  name: projector-mongodb\n                  key: MONGODB_URI\n"
	cases := []variant{
		// The schemas of the Go API types.
		{"unknown field in a Deployment",
			[]edit{{user, "      terminationGracePeriodSeconds: 45\n", "      terminationGracePeriodSeconds: 45\n      terminationGracePeriod: 45\n"}},
			[]string{`Deployment/user-projector: unknown field "spec.template.spec.terminationGracePeriod"`}},
		{"field with the wrong case",
			[]edit{{user, "  revisionHistoryLimit: 5", "  RevisionHistoryLimit: 5"}},
			[]string{`Deployment/user-projector: unknown field "spec.RevisionHistoryLimit"`}},
		{"field of the wrong type",
			[]edit{{user, "terminationGracePeriodSeconds: 45", `terminationGracePeriodSeconds: "45"`}},
			[]string{"Deployment/user-projector: json: cannot unmarshal string into Go struct field PodSpec.spec.template.spec.terminationGracePeriodSeconds of type int64"}},
		{"unknown field in a PodDisruptionBudget",
			[]edit{{user, "  maxUnavailable: 1\n", "  maxUnavailable: 1\n  maxUnavailible: 1\n"}},
			[]string{`PodDisruptionBudget/user-projector: unknown field "spec.maxUnavailible"`}},
		{"duplicate key",
			[]edit{{config, "  LOG_LEVEL: info\n", "  LOG_LEVEL: info\n  LOG_LEVEL: debug\n"}},
			[]string{`kustomization base: config.yaml: document 1: yaml: unmarshal errors:`, `key "LOG_LEVEL" already set in map`}},
		{"kind the validator has no schema for",
			[]edit{
				{"base/hpa.yaml", "", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: x\n"},
				{baseKust, "  - namespace.yaml\n", "  - namespace.yaml\n  - hpa.yaml\n"}},
			[]string{"HorizontalPodAutoscaler/x: apiVersion autoscaling/v2 kind HorizontalPodAutoscaler: no schema in this validator"}},

		// KEDA's CRD schema.
		{"unknown field in a ScaledObject",
			[]edit{{scaling, "  pollingInterval: 15", "  pollingIntervall: 15"}},
			[]string{`ScaledObject/user-projector: unknown field "spec.pollingIntervall"`}},
		{"unknown metadata field in a ScaledObject",
			[]edit{{scaling, "  labels:\n    app.kubernetes.io/name: user-projector", "  lables:\n    app.kubernetes.io/name: user-projector"}},
			[]string{`ScaledObject/user-projector: metadata: unknown field "lables"`}},
		{"trigger metadata not a string",
			[]edit{{scaling, `lagThreshold: "1000"`, `lagThreshold: 1000`}},
			[]string{"ScaledObject/user-projector: spec.triggers[0].metadata.lagThreshold: must be a string, got an integer"}},
		{"maxReplicaCount below the CRD's minimum",
			[]edit{{scaling, "maxReplicaCount: 12", "maxReplicaCount: 0"}},
			[]string{"ScaledObject/user-projector: spec.maxReplicaCount: must be at least 1, got 0"}},
		{"trigger without a type",
			[]edit{{scaling, "    - type: kafka\n", "    - metricType: AverageValue\n"}},
			[]string{"ScaledObject/user-projector: spec.triggers[0].type: required field missing"}},

		// The project's rules: probes.
		{"missing readiness probe",
			[]edit{{user, "          readinessProbe:", "          startupProbe:"}},
			[]string{"Deployment/user-projector: container user-projector: no readinessProbe (want an httpGet of /readyz on port http)"}},
		{"liveness probe on another path",
			[]edit{{user, "path: /healthz", "path: /health"}},
			[]string{`Deployment/user-projector: container user-projector: livenessProbe path is "/health" (want an httpGet of /healthz on port http)`}},
		{"readiness probe on another port",
			[]edit{{user, "              path: /readyz\n              port: http", "              path: /readyz\n              port: 9090"}},
			[]string{"Deployment/user-projector: container user-projector: readinessProbe port is 9090, not the http port"}},
		{"http port not HTTP_ADDR's",
			[]edit{{user, "containerPort: 8080", "containerPort: 9090"}},
			[]string{`Deployment/user-projector: container user-projector: port http is 9090, but HTTP_ADDR ":8080" listens on 8080`,
				`annotation prometheus.io/port is "8080", want the http port 9090`}},

		// Shutdown.
		{"grace period too short",
			[]edit{{user, "terminationGracePeriodSeconds: 45", "terminationGracePeriodSeconds: 30"}},
			[]string{"Deployment/user-projector: terminationGracePeriodSeconds 30 must exceed CLOSE_TIMEOUT (30s) plus 5s for the HTTP server's shutdown"}},
		{"grace period left at the default",
			[]edit{{user, "      terminationGracePeriodSeconds: 45\n", ""}},
			[]string{"Deployment/user-projector: terminationGracePeriodSeconds 30 must exceed CLOSE_TIMEOUT (30s)"}},
		{"CLOSE_TIMEOUT raised above the grace period",
			[]edit{{config, "CLOSE_TIMEOUT: 30s", "CLOSE_TIMEOUT: 1m"}},
			[]string{"Deployment/user-projector: terminationGracePeriodSeconds 45 must exceed CLOSE_TIMEOUT (1m0s)",
				"Deployment/activity-projector: terminationGracePeriodSeconds 45 must exceed CLOSE_TIMEOUT (1m0s)",
				"Deployment/statistics-projector: terminationGracePeriodSeconds 45 must exceed CLOSE_TIMEOUT (1m0s)"}},
		{"CLOSE_TIMEOUT not above HANDLER_TIMEOUT",
			[]edit{{config, "HANDLER_TIMEOUT: 10s", "HANDLER_TIMEOUT: 30s"}},
			[]string{"Deployment/user-projector: CLOSE_TIMEOUT (30s) must exceed HANDLER_TIMEOUT (30s): the projector would not start"}},
		{"CLOSE_TIMEOUT not a duration",
			[]edit{{config, "CLOSE_TIMEOUT: 30s", "CLOSE_TIMEOUT: thirty"}},
			[]string{`Deployment/user-projector: CLOSE_TIMEOUT: not a duration: "thirty"`}},

		// Resources and the security context.
		{"no CPU request",
			[]edit{{user, "              cpu: 100m\n", ""}},
			[]string{"Deployment/user-projector: container user-projector: no resources.requests.cpu"}},
		{"memory limit below the request",
			[]edit{{user, "              memory: 512Mi", "              memory: 64Mi"}},
			[]string{"Deployment/user-projector: container user-projector: resources.limits.memory 64Mi is below the request 128Mi"}},
		{"writable root filesystem",
			[]edit{{user, "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"}},
			[]string{"Deployment/user-projector: container user-projector: securityContext: readOnlyRootFilesystem must be true"}},
		{"runs as root",
			[]edit{{user, "        runAsNonRoot: true\n        runAsUser: 65534\n", "        runAsUser: 0\n"}},
			[]string{"securityContext: runAsNonRoot must be true", "securityContext: runAsUser must be 65534"}},
		{"capabilities kept",
			[]edit{{user, `drop: ["ALL"]`, `drop: ["NET_RAW"]`}},
			[]string{"Deployment/user-projector: container user-projector: securityContext: capabilities.drop must hold ALL"}},

		// Configuration.
		{"consumer group not the service's name",
			[]edit{{user, "              value: user-projector", "              value: users"}},
			[]string{`Deployment/user-projector: container user-projector: KAFKA_CONSUMER_GROUP is "users", want the service's name "user-projector"`,
				`ScaledObject/user-projector: triggers[0] (kafka): consumerGroup "user-projector" is not a group of Deployment user-projector (users)`}},
		{"MongoDB URI as a literal",
			[]edit{{user, mongoFromSecret, "            - name: MONGODB_URI\n              value: mongodb://mongo:27017\n"}},
			[]string{"Deployment/user-projector: container user-projector: MONGODB_URI comes from value: it may hold credentials, take it from a Secret"}},
		{"Secret key missing",
			[]edit{{user, "                  key: MONGODB_URI", "                  key: uri"}},
			[]string{`Deployment/user-projector: container user-projector: env MONGODB_URI: no key "uri" in Secret "projector-mongodb"`,
				"MONGODB_URI is not set"}},
		{"ConfigMap missing",
			[]edit{{user, "                name: projector-config", "                name: projector-settings"}},
			[]string{`Deployment/user-projector: container user-projector: envFrom: no ConfigMap "projector-settings"`,
				"KAFKA_BROKERS is not set"}},
		{"misspelt variable",
			[]edit{{config, "  LOG_LEVEL: info\n", "  LOG_LEVEL: info\n  BATCH_MAX_EVENT: \"100\"\n"}},
			[]string{"Deployment/user-projector: container user-projector: unknown environment variable BATCH_MAX_EVENT (from ConfigMap projector-config)"}},
		{"statistics variable on another projector",
			[]edit{{config, "  LOG_LEVEL: info\n", "  LOG_LEVEL: info\n  STATISTICS_INCREMENTS_PARTITIONS: \"24\"\n"}},
			[]string{"Deployment/user-projector: container user-projector: STATISTICS_INCREMENTS_PARTITIONS is the statistics-projector's only"}},

		// Disruption budgets.
		{"disruption budget selecting nothing",
			[]edit{{user, "  unhealthyPodEvictionPolicy: AlwaysAllow\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: user-projector",
				"  unhealthyPodEvictionPolicy: AlwaysAllow\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: users"}},
			[]string{"PodDisruptionBudget/user-projector: spec.selector map[app.kubernetes.io/name:users] selects no Deployment's pods",
				"Deployment/user-projector: want one PodDisruptionBudget selecting its pods, got 0"}},
		{"disruption budget blocking evictions",
			[]edit{{user, "  maxUnavailable: 1\n", "  maxUnavailable: 0\n"}},
			[]string{"PodDisruptionBudget/user-projector: spec.maxUnavailable 0 blocks every eviction"}},

		// Autoscaling.
		{"maxReplicaCount above the partition count",
			[]edit{{scaling, "maxReplicaCount: 12", "maxReplicaCount: 20"}},
			[]string{"ScaledObject/user-projector: maxReplicaCount 20 exceeds the partitions of the topics its Deployment reads (postgres.activity.event_outbox: 12): instances beyond 12 would sit idle"}},
		{"statistics maxReplicaCount above the partition count",
			[]edit{{scaling, "    name: statistics-projector\n  pollingInterval: 15\n  minReplicaCount: 1\n  maxReplicaCount: 12",
				"    name: statistics-projector\n  pollingInterval: 15\n  minReplicaCount: 1\n  maxReplicaCount: 13"}},
			[]string{"ScaledObject/statistics-projector: maxReplicaCount 13 exceeds the partitions of the topics its Deployment reads " +
				"(postgres.activity.event_outbox: 12, statistics-projector.increments: 12): instances beyond 12 would sit idle"}},
		{"minReplicaCount 0",
			[]edit{{scaling, "minReplicaCount: 1", "minReplicaCount: 0"}},
			[]string{"ScaledObject/user-projector: minReplicaCount must be at least 1"}},
		{"minReplicaCount above maxReplicaCount",
			[]edit{{scaling, "  minReplicaCount: 1\n  maxReplicaCount: 12", "  minReplicaCount: 6\n  maxReplicaCount: 4"}},
			[]string{"ScaledObject/user-projector: minReplicaCount must be less than or equal to maxReplicaCount"}},
		{"replicas set under the autoscaler",
			[]edit{{user, "  revisionHistoryLimit: 5\n", "  replicas: 2\n  revisionHistoryLimit: 5\n"}},
			[]string{"Deployment/user-projector: spec.replicas is set, but ScaledObject/user-projector scales it"}},
		{"trigger on another group",
			[]edit{{scaling, "consumerGroup: activity-projector", "consumerGroup: activity"}},
			[]string{`ScaledObject/activity-projector: triggers[0] (kafka): consumerGroup "activity" is not a group of Deployment activity-projector (activity-projector)`,
				`ScaledObject/activity-projector: no kafka trigger on consumer group "activity-projector"`}},
		{"statistics increments group without a trigger",
			[]edit{{scaling, "consumerGroup: statistics-projector.increments\n        topic: statistics-projector.increments",
				"consumerGroup: statistics-projector\n        topic: statistics-projector.increments"}},
			[]string{`ScaledObject/statistics-projector: triggers[1] (kafka): topic "statistics-projector.increments", but group "statistics-projector" reads "postgres.activity.event_outbox"`,
				`ScaledObject/statistics-projector: no kafka trigger on consumer group "statistics-projector.increments"`}},
		{"brokers differ from KAFKA_BROKERS",
			[]edit{{config, "KAFKA_BROKERS: kafka-bootstrap.kafka.svc:9092", "KAFKA_BROKERS: kafka-0.kafka.svc:9092"}},
			[]string{`ScaledObject/user-projector: triggers[0] (kafka): bootstrapServers "kafka-bootstrap.kafka.svc:9092" differ from the Deployment's KAFKA_BROKERS "kafka-0.kafka.svc:9092"`}},
		{"misspelt trigger metadata",
			[]edit{{scaling, `lagThreshold: "1000"`, `lagTreshold: "1000"`}},
			[]string{`ScaledObject/user-projector: triggers[0] (kafka): unknown metadata "lagTreshold"`,
				"ScaledObject/user-projector: triggers[0] (kafka): no lagThreshold"}},
		{"lagThreshold not positive",
			[]edit{{scaling, `lagThreshold: "1000"`, `lagThreshold: "0"`}},
			[]string{`ScaledObject/user-projector: triggers[0] (kafka): lagThreshold "0" must be a positive integer`}},
		{"offsetResetPolicy left at KEDA's default",
			[]edit{{scaling, "        offsetResetPolicy: earliest\n", ""}},
			[]string{"ScaledObject/user-projector: triggers[0] (kafka): offsetResetPolicy is latest (KEDA's default), but the projector's KAFKA_AUTO_OFFSET_RESET is earliest"}},
		{"idle consumers allowed",
			[]edit{{scaling, "        offsetResetPolicy: earliest\n", "        offsetResetPolicy: earliest\n        allowIdleConsumers: \"true\"\n"}},
			[]string{"ScaledObject/user-projector: triggers[0] (kafka): allowIdleConsumers true lifts KEDA's cap at the partition count"}},
		{"scale target missing",
			[]edit{{scaling, "    name: user-projector\n  pollingInterval", "    name: user-projectr\n  pollingInterval"}},
			[]string{`ScaledObject/user-projector: scaleTargetRef names no Deployment: "user-projectr"`,
				"Deployment/user-projector: want one ScaledObject scaling it, got 0"}},

		// Kustomize.
		{"file not in the kustomization",
			[]edit{{"base/extra.yaml", "", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n"}},
			[]string{"kustomization base: extra.yaml: not listed in kustomization.yaml: kubectl apply -k would skip it"}},
		{"kustomization naming a missing file",
			[]edit{{baseKust, "  - namespace.yaml\n", "  - namespace.yaml\n  - missing.yaml\n"}},
			[]string{"kustomization base: kustomization.yaml: kustomize build:", "missing.yaml"}},
		{"unknown field in a kustomization",
			[]edit{{baseKust, "namespace: event-processor\n", "namespace: event-processor\nnamePrefx: x-\n"}},
			[]string{"kustomization base: kustomization.yaml: kustomize build:", "namePrefx"}},
	}
	// How many problems some variants must have: no follow-on problems.
	counts := map[string]int{
		"field of the wrong type":                              1,
		"maxReplicaCount below the CRD's minimum":              1,
		"statistics maxReplicaCount above the partition count": 1,
	}
	for name := range counts {
		if !slices.ContainsFunc(cases, func(c variant) bool { return c.name == name }) {
			t.Errorf("counts: no case %q", name)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := copyManifests(t)
			for _, e := range tc.edits {
				apply(t, root, e)
			}
			rep, err := Validate(root, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Problems) == 0 {
				t.Fatal("no problem found")
			}
			var all []string
			for _, p := range rep.Problems {
				all = append(all, p.String())
			}
			text := strings.Join(all, "\n")
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("no problem contains %q; got:\n%s", w, text)
				}
			}
			if n, ok := counts[tc.name]; ok && len(all) != n {
				t.Errorf("%d problems, want %d", len(all), n)
			}
			t.Logf("%d problem(s):\n%s", len(all), text)
		})
	}
}

// The partition count is a flag: with 24 partitions, 20 replicas are fine
// for the projectors that read only the outbox topic.
func TestPartitionsOption(t *testing.T) {
	root := copyManifests(t)
	apply(t, root, edit{"autoscaling/scaledobjects.yaml", "maxReplicaCount: 12", "maxReplicaCount: 20"})
	rep, err := Validate(root, Options{Partitions: 24})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Error(p)
	}
}

// The schema checker understands every keyword of KEDA's CRD, and its CEL
// rules are the one rules.go implements (checkReplicaCounts): a new CRD
// with other rules needs them implemented.
func TestCRDRules(t *testing.T) {
	s, err := scaledObjectSchema()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(s.celRules(""), "\n")
	want := "spec: !has(self.minReplicaCount) || self.minReplicaCount <= (has(self.maxReplicaCount) ? self.maxReplicaCount : 100)"
	if got != want {
		t.Errorf("CEL rules of the CRD:\n%s\nwant:\n%s", got, want)
	}
}

// A CRD using a keyword the checker does not implement is refused rather
// than half checked.
func TestCRDUnsupportedKeyword(t *testing.T) {
	crd := []byte(`
spec:
  versions:
  - name: v1
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            oneOf:
            - required: [a]
`)
	if _, err := crdSchema(crd, "v1"); err == nil || !strings.Contains(err.Error(), "oneOf") {
		t.Fatalf("got %v, want an error naming oneOf", err)
	}
}

// copyManifests copies deployments/kubernetes, without this module, into a
// temporary directory and returns it.
func copyManifests(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel("..", path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel == "validate" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func apply(t *testing.T, root string, e edit) {
	t.Helper()
	path := filepath.Join(root, e.file)
	if e.old == "" {
		if err := os.WriteFile(path, []byte(e.new), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), e.old) {
		t.Fatalf("%s does not contain %q: the manifests changed, update the test", e.file, e.old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), e.old, e.new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}
