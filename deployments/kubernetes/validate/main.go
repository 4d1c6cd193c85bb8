// Command validate checks the Kubernetes manifests of deployments/kubernetes
// without a cluster (make k8s-check). For every kustomization under the
// directory it is given (default: ..), it
//
//   - renders it as `kubectl apply -k` would (kustomize's krusty, the
//     library kubectl embeds), and checks that every YAML file beside a
//     kustomization.yaml is listed in it and has no duplicate keys;
//   - decodes every rendered object into its type from k8s.io/api
//     (Deployment, PodDisruptionBudget, ConfigMap, Secret, Namespace, ...)
//     the way the API server's strict field validation does: unknown,
//     duplicate and wrongly cased fields and wrong types are errors;
//   - checks KEDA ScaledObjects against the openAPIV3Schema of KEDA's CRD
//     (schemas/, crd.go): KEDA's Go module pulls in controller-runtime,
//     client-go and more (about 90 MB of downloads), its CRD does not;
//   - applies the project's rules, which no schema expresses (rules.go):
//     probes on /healthz and /readyz, a grace period longer than
//     CLOSE_TIMEOUT, resources, the security context, consumer groups, a
//     disruption budget per projector, autoscaling capped at the partition
//     count.
//
// It prints each problem and exits 1 when there is one, 2 when it cannot
// run; nothing is sent to a cluster.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	partitions := flag.Int("partitions", DefaultPartitions,
		"partitions of the outbox topic (docker-compose.yml KAFKA_NUM_PARTITIONS): no autoscaler may go beyond")
	flag.Usage = func() {
		_, _ = fmt.Fprintf(flag.CommandLine.Output(), "usage: validate [-partitions N] [dir]\n\n"+
			"Validates every kustomization under dir (default ..) without a cluster.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	root := ".."
	switch flag.NArg() {
	case 0:
	case 1:
		root = flag.Arg(0)
	default:
		flag.Usage()
		os.Exit(2)
	}
	report, err := Validate(root, Options{Partitions: *partitions})
	if err != nil {
		fmt.Fprintln(os.Stderr, "validate:", err)
		os.Exit(2)
	}
	for _, p := range report.Problems {
		fmt.Fprintln(os.Stderr, p)
	}
	if n := len(report.Problems); n > 0 {
		fmt.Fprintf(os.Stderr, "%s: %d problem(s)\n", root, n)
		os.Exit(1)
	}
	fmt.Println(report.Summary())
}
