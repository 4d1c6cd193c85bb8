package main

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The projectors' settings, as shared/config and the statistics-projector's
// adapters read them (README.md, Configuration).
const (
	defaultTopic          = "postgres.activity.event_outbox"
	defaultHTTPAddr       = ":8080"
	defaultHandlerTimeout = 10 * time.Second
	defaultCloseTimeout   = 30 * time.Second
	defaultOffsetReset    = "earliest"
	// httpShutdown bounds the HTTP server's shutdown, which follows the
	// router's (shared/service/runner.go): the grace period must cover
	// CLOSE_TIMEOUT and this.
	httpShutdown = 5 * time.Second
	// nobody:nogroup, the images' user (deployments/images/gobin/Dockerfile).
	nobody = 65534
)

// projectorVars are the variables a projector reads; statisticsVars only
// the statistics-projector reads; runtimeVars are the Go runtime's.
var (
	projectorVars = []string{
		"KAFKA_BROKERS", "KAFKA_TOPIC", "KAFKA_CONSUMER_GROUP", "KAFKA_AUTO_OFFSET_RESET",
		"KAFKA_POISON_TOPIC", "KAFKA_POISON_PARTITIONS", "KAFKA_POISON_REPLICATION_FACTOR",
		"KAFKA_POISON_MAX_MESSAGE_BYTES", "KAFKA_CLIENT_ID",
		"MONGODB_URI", "MONGODB_DATABASE", "MONGODB_WRITE_CONCERN",
		"LOG_LEVEL", "HTTP_ADDR", "BATCH_MAX_EVENTS", "BATCH_MAX_WAIT", "HANDLER_TIMEOUT",
		"RETRY_INITIAL_INTERVAL", "RETRY_MAX_INTERVAL", "PANIC_ATTEMPTS", "CLOSE_TIMEOUT",
	}
	statisticsVars = []string{
		"STATISTICS_INCREMENTS_TOPIC", "STATISTICS_INCREMENTS_GROUP",
		"STATISTICS_INCREMENTS_PARTITIONS", "STATISTICS_INCREMENTS_REPLICATION_FACTOR",
	}
	runtimeVars = []string{"GOMEMLIMIT", "GOGC", "GOMAXPROCS", "GODEBUG", "GOTRACEBACK"}
)

// projectors are the Deployments the manifests may hold, by name.
var projectors = []string{"user-projector", "activity-projector", "statistics-projector"}

// kafkaTriggerKeys are the trigger metadata keys of KEDA's kafka scaler
// (v2.21.0, pkg/scalers/kafka_scaler.go, kafkaMetadata fields read from
// triggerMetadata); *FromEnv reads the value from the target's container.
var kafkaTriggerKeys = []string{
	"bootstrapServers", "bootstrapServersFromEnv", "consumerGroup", "consumerGroupFromEnv",
	"topic", "topicFromEnv", "partitionLimitation", "lagThreshold", "activationLagThreshold",
	"offsetResetPolicy", "allowIdleConsumers", "excludePersistentLag", "scaleToZeroOnInvalidOffset",
	"limitToPartitionsWithLag", "ensureEvenDistributionOfPartitions", "fullMetadata", "version",
	"tls", "unsafeSsl", "sasl", "saslTokenProvider", "awsRegion",
}

// consumer is one consumer group of a projector and the topic it reads.
type consumer struct {
	group, topic string
	// partitions of the topic; an instance beyond them sits idle.
	partitions int
}

// projector is what the rules learnt of one projector Deployment.
type projector struct {
	d         *appsv1.Deployment
	env       containerEnv
	consumers []consumer
}

func checkRules(set *objectSet, opts Options, add func(object, format string, args ...any)) {
	byName := map[string]*projector{} // by namespace/name
	for _, d := range set.deployments {
		p := checkDeployment(d, set, opts, add)
		byName[d.Namespace+"/"+d.Name] = p
	}
	checkPDBs(set, add)
	checkScaledObjects(set, byName, add)
}

func checkDeployment(d *appsv1.Deployment, set *objectSet, opts Options, add func(object, format string, args ...any)) *projector {
	object := "Deployment/" + d.Name
	problem := func(format string, args ...any) { add(object, format, args...) }
	p := &projector{d: d, env: containerEnv{}}

	if !slices.Contains(projectors, d.Name) {
		problem("not one of the projectors (%s)", strings.Join(projectors, ", "))
	}
	checkSelector(d, problem)

	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		problem("want one container (the projector), got %d", len(pod.Containers))
		if len(pod.Containers) == 0 {
			return p
		}
	}
	c := pod.Containers[0]
	cproblem := func(format string, args ...any) { problem("container "+c.Name+": "+format, args...) }
	if c.Image == "" {
		cproblem("no image")
	}

	env := resolveEnv(c, d.Namespace, set, cproblem)
	p.env = env
	checkEnv(d.Name, env, cproblem)
	p.consumers = consumers(d.Name, env, opts)

	httpPort := checkHTTP(d, c, env, cproblem)
	checkProbe(c.LivenessProbe, "livenessProbe", "/healthz", httpPort, cproblem)
	checkProbe(c.ReadinessProbe, "readinessProbe", "/readyz", httpPort, cproblem)
	checkShutdown(pod, env, problem)
	checkResources(c.Resources, cproblem)
	checkSecurity(pod.SecurityContext, c.SecurityContext, cproblem)

	pdbs := 0
	for _, b := range set.pdbs {
		if b.Namespace == d.Namespace && b.Spec.Selector != nil && selects(b.Spec.Selector, d.Spec.Template.Labels) {
			pdbs++
		}
	}
	if pdbs != 1 {
		problem("want one PodDisruptionBudget selecting its pods, got %d", pdbs)
	}
	return p
}

// checkSelector checks what the API server would: the selector is set and
// matches the pod template's labels.
func checkSelector(d *appsv1.Deployment, problem func(format string, args ...any)) {
	sel := d.Spec.Selector
	switch {
	case sel == nil || len(sel.MatchLabels) == 0:
		problem("spec.selector.matchLabels is empty")
	case len(sel.MatchExpressions) > 0:
		problem("spec.selector: use matchLabels only (the disruption budget and autoscaler checks compare labels)")
	case !selects(sel, d.Spec.Template.Labels):
		problem("spec.selector %v does not match the pod template's labels %v", sel.MatchLabels, d.Spec.Template.Labels)
	}
}

// selects says whether sel's matchLabels are all among labels.
func selects(sel *metav1.LabelSelector, labels map[string]string) bool {
	if len(sel.MatchLabels) == 0 {
		return false
	}
	for k, v := range sel.MatchLabels {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// checkEnv checks the names and values of the projector's variables.
func checkEnv(name string, env containerEnv, problem func(format string, args ...any)) {
	for _, k := range slices.Sorted(maps.Keys(env)) {
		switch {
		case slices.Contains(projectorVars, k), slices.Contains(runtimeVars, k):
		case slices.Contains(statisticsVars, k):
			if name != "statistics-projector" {
				problem("%s is the statistics-projector's only", k)
			}
		default:
			problem("unknown environment variable %s (from %s): not a projector setting (README.md, Configuration)", k, env[k].from)
		}
	}
	for _, k := range []string{"KAFKA_BROKERS", "MONGODB_URI"} {
		if _, ok := env[k]; !ok {
			problem("%s is not set", k)
		}
	}
	if v, ok := env["MONGODB_URI"]; ok && !v.secret {
		problem("MONGODB_URI comes from %s: it may hold credentials, take it from a Secret", v.from)
	}
	if group, ok := env.get("KAFKA_CONSUMER_GROUP", name); ok && group != name {
		problem("KAFKA_CONSUMER_GROUP is %q, want the service's name %q (one group per projector)", group, name)
	}
	if v, ok := env.get("KAFKA_AUTO_OFFSET_RESET", defaultOffsetReset); ok && v != "earliest" && v != "latest" {
		problem("KAFKA_AUTO_OFFSET_RESET is %q, want earliest or latest", v)
	}
}

// consumers lists the projector's consumer groups and their topics.
func consumers(name string, env containerEnv, opts Options) []consumer {
	group, _ := env.get("KAFKA_CONSUMER_GROUP", name)
	topic, _ := env.get("KAFKA_TOPIC", defaultTopic)
	out := []consumer{{group: group, topic: topic, partitions: opts.Partitions}}
	if name == "statistics-projector" {
		incGroup, _ := env.get("STATISTICS_INCREMENTS_GROUP", group+".increments")
		incTopic, _ := env.get("STATISTICS_INCREMENTS_TOPIC", name+".increments")
		partitions := DefaultPartitions
		if v, ok := env.get("STATISTICS_INCREMENTS_PARTITIONS", ""); ok && v != "" {
			if n, err := strconv.Atoi(v); err == nil {
				partitions = n
			}
		}
		out = append(out, consumer{group: incGroup, topic: incTopic, partitions: partitions})
	}
	return out
}

// checkHTTP checks the port named http against HTTP_ADDR and the Prometheus
// annotations, and returns the port (0 when there is none).
func checkHTTP(d *appsv1.Deployment, c corev1.Container, env containerEnv, problem func(format string, args ...any)) int32 {
	addr, _ := env.get("HTTP_ADDR", defaultHTTPAddr)
	_, portStr, err := net.SplitHostPort(addr)
	listen, perr := strconv.Atoi(portStr)
	if err != nil || perr != nil {
		problem("HTTP_ADDR %q is not [host]:port", addr)
	}
	var port int32
	for _, p := range c.Ports {
		if p.Name == "http" {
			port = p.ContainerPort
		}
	}
	switch {
	case port == 0:
		problem("no container port named http (/healthz, /readyz, /metrics)")
	case err == nil && perr == nil && int(port) != listen:
		problem("port http is %d, but HTTP_ADDR %q listens on %d", port, addr, listen)
	}
	ann := d.Spec.Template.Annotations
	if v, ok := ann["prometheus.io/port"]; ok && port != 0 && v != strconv.Itoa(int(port)) {
		problem("annotation prometheus.io/port is %q, want the http port %d", v, port)
	}
	if v, ok := ann["prometheus.io/path"]; ok && v != "/metrics" {
		problem("annotation prometheus.io/path is %q, want /metrics", v)
	}
	return port
}

// checkProbe checks that probe is an httpGet of path on the http port.
func checkProbe(probe *corev1.Probe, field, path string, httpPort int32, problem func(format string, args ...any)) {
	want := fmt.Sprintf("want an httpGet of %s on port http", path)
	switch {
	case probe == nil:
		problem("no %s (%s)", field, want)
		return
	case probe.HTTPGet == nil:
		problem("%s is not an httpGet (%s)", field, want)
		return
	}
	g := probe.HTTPGet
	if g.Path != path {
		problem("%s path is %q (%s)", field, g.Path, want)
	}
	onHTTP := (g.Port.Type == intstr.String && g.Port.StrVal == "http") ||
		(g.Port.Type == intstr.Int && httpPort != 0 && g.Port.IntVal == httpPort)
	if !onHTTP {
		problem("%s port is %s, not the http port (%s)", field, g.Port.String(), want)
	}
}

// checkShutdown checks that the kubelet lets a projector finish its
// shutdown: terminationGracePeriodSeconds > CLOSE_TIMEOUT + the HTTP
// server's shutdown, and CLOSE_TIMEOUT > HANDLER_TIMEOUT (else the projector
// refuses to start).
func checkShutdown(pod corev1.PodSpec, env containerEnv, problem func(format string, args ...any)) {
	closeTimeout, err := env.duration("CLOSE_TIMEOUT", defaultCloseTimeout)
	if err != nil {
		problem("%v", err)
		return
	}
	handlerTimeout, err := env.duration("HANDLER_TIMEOUT", defaultHandlerTimeout)
	if err != nil {
		problem("%v", err)
		return
	}
	if closeTimeout <= handlerTimeout {
		problem("CLOSE_TIMEOUT (%s) must exceed HANDLER_TIMEOUT (%s): the projector would not start", closeTimeout, handlerTimeout)
	}
	grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if pod.TerminationGracePeriodSeconds != nil {
		grace = *pod.TerminationGracePeriodSeconds
	}
	if time.Duration(grace)*time.Second <= closeTimeout+httpShutdown {
		problem("terminationGracePeriodSeconds %d must exceed CLOSE_TIMEOUT (%s) plus %s for the HTTP server's shutdown: "+
			"the kubelet would kill a projector in the middle of a batch", grace, closeTimeout, httpShutdown)
	}
}

// checkResources wants CPU and memory requests and a memory limit no lower
// than the request. No CPU limit is required (throttling a consumer only
// grows its lag).
func checkResources(r corev1.ResourceRequirements, problem func(format string, args ...any)) {
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := r.Requests[name]; !ok {
			problem("no resources.requests.%s", name)
		}
	}
	if _, ok := r.Limits[corev1.ResourceMemory]; !ok {
		problem("no resources.limits.memory")
	}
	for name, l := range r.Limits {
		if req, ok := r.Requests[name]; ok && l.Cmp(req) < 0 {
			problem("resources.limits.%s %s is below the request %s", name, l.String(), req.String())
		}
	}
}

// checkSecurity wants the restricted Pod Security Standard and more: run
// as nobody, a read-only root filesystem.
func checkSecurity(pod *corev1.PodSecurityContext, c *corev1.SecurityContext, problem func(format string, args ...any)) {
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	if c == nil {
		c = &corev1.SecurityContext{}
	}
	runAsNonRoot := c.RunAsNonRoot
	if runAsNonRoot == nil {
		runAsNonRoot = pod.RunAsNonRoot
	}
	if !isTrue(runAsNonRoot) {
		problem("securityContext: runAsNonRoot must be true")
	}
	runAsUser := c.RunAsUser
	if runAsUser == nil {
		runAsUser = pod.RunAsUser
	}
	if runAsUser == nil || *runAsUser != nobody {
		problem("securityContext: runAsUser must be %d (nobody, the image's user)", nobody)
	}
	if !isTrue(c.ReadOnlyRootFilesystem) {
		problem("securityContext: readOnlyRootFilesystem must be true (the projector writes no file)")
	}
	if c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation {
		problem("securityContext: allowPrivilegeEscalation must be false")
	}
	if isTrue(c.Privileged) {
		problem("securityContext: privileged must not be true")
	}
	if c.Capabilities == nil || !slices.Contains(c.Capabilities.Drop, "ALL") {
		problem("securityContext: capabilities.drop must hold ALL")
	} else if len(c.Capabilities.Add) > 0 {
		problem("securityContext: capabilities.add must be empty, got %v", c.Capabilities.Add)
	}
	seccomp := c.SeccompProfile
	if seccomp == nil {
		seccomp = pod.SeccompProfile
	}
	if seccomp == nil || (seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault && seccomp.Type != corev1.SeccompProfileTypeLocalhost) {
		problem("securityContext: seccompProfile.type must be RuntimeDefault (or Localhost)")
	}
}

// checkPDBs wants every disruption budget to select exactly one
// Deployment's pods and to allow an eviction.
func checkPDBs(set *objectSet, add func(object, format string, args ...any)) {
	for _, b := range set.pdbs {
		object := "PodDisruptionBudget/" + b.Name
		if b.Spec.Selector == nil || len(b.Spec.Selector.MatchLabels) == 0 || len(b.Spec.Selector.MatchExpressions) > 0 {
			add(object, "spec.selector: want matchLabels only, not empty")
			continue
		}
		var selected []string
		for _, d := range set.deployments {
			if d.Namespace == b.Namespace && selects(b.Spec.Selector, d.Spec.Template.Labels) {
				selected = append(selected, d.Name)
			}
		}
		switch len(selected) {
		case 0:
			add(object, "spec.selector %v selects no Deployment's pods", b.Spec.Selector.MatchLabels)
		case 1:
		default:
			add(object, "spec.selector %v selects the pods of several Deployments: %v", b.Spec.Selector.MatchLabels, selected)
		}
		switch mu := b.Spec.MaxUnavailable; {
		case b.Spec.MinAvailable != nil:
			add(object, "spec.minAvailable: use maxUnavailable (minAvailable blocks every eviction of a single replica)")
		case mu == nil:
			add(object, "spec.maxUnavailable is not set")
		case mu.Type == intstr.Int && mu.IntVal < 1:
			add(object, "spec.maxUnavailable %d blocks every eviction (node drains would hang)", mu.IntVal)
		}
	}
}

// checkScaledObjects checks the KEDA ScaledObjects against the Deployments
// they scale. When there is one, every projector needs one.
func checkScaledObjects(set *objectSet, projectorsByName map[string]*projector, add func(object, format string, args ...any)) {
	if len(set.scaledObjects) == 0 {
		return
	}
	scaled := map[string]int{}
	for _, so := range set.scaledObjects {
		object := "ScaledObject/" + so.Name
		problem := func(format string, args ...any) { add(object, format, args...) }
		ref := so.Spec.ScaleTargetRef
		if (ref.Kind != "" && ref.Kind != "Deployment") || (ref.APIVersion != "" && ref.APIVersion != "apps/v1") {
			problem("scaleTargetRef must be an apps/v1 Deployment, got %s %s", ref.APIVersion, ref.Kind)
			continue
		}
		p := projectorsByName[so.Namespace+"/"+ref.Name]
		if p == nil {
			problem("scaleTargetRef names no Deployment: %q", ref.Name)
			continue
		}
		scaled[so.Namespace+"/"+ref.Name]++
		if p.d.Spec.Replicas != nil {
			add("Deployment/"+p.d.Name, "spec.replicas is set, but ScaledObject/%s scales it: every apply would reset the autoscaler's count; leave it unset", so.Name)
		}
		checkReplicaCounts(so, p, problem)
		checkTriggers(so, p, problem)
	}
	for _, d := range set.deployments {
		if n := scaled[d.Namespace+"/"+d.Name]; n != 1 {
			add("Deployment/"+d.Name, "want one ScaledObject scaling it, got %d", n)
		}
	}
}

func checkReplicaCounts(so *scaledObject, p *projector, problem func(format string, args ...any)) {
	limit, topics := 0, []string{}
	for _, c := range p.consumers {
		limit = max(limit, c.partitions)
		topics = append(topics, fmt.Sprintf("%s: %d", c.topic, c.partitions))
	}
	minR, maxR := so.Spec.MinReplicaCount, so.Spec.MaxReplicaCount
	if minR == nil || *minR < 1 {
		problem("minReplicaCount must be at least 1 (KEDA's default, 0, stops the projector when there is no lag; the next events wait for a poll and a start)")
	}
	switch {
	case maxR == nil:
		problem("maxReplicaCount is not set (KEDA's default is 100): set it to the partition count, %d", limit)
	case int(*maxR) > limit:
		problem("maxReplicaCount %d exceeds the partitions of the topics its Deployment reads (%s): instances beyond %d would sit idle",
			*maxR, strings.Join(topics, ", "), limit)
	}
	// The CRD's CEL rule, not evaluated by the schema check (crd.go).
	if minR != nil && maxR != nil && *minR > *maxR {
		problem("minReplicaCount must be less than or equal to maxReplicaCount")
	}
}

func checkTriggers(so *scaledObject, p *projector, problem func(format string, args ...any)) {
	brokers, _ := p.env.get("KAFKA_BROKERS", "")
	offsetReset, _ := p.env.get("KAFKA_AUTO_OFFSET_RESET", defaultOffsetReset)
	covered := map[string]bool{}
	for i, t := range so.Spec.Triggers {
		tproblem := func(format string, args ...any) {
			problem(fmt.Sprintf("triggers[%d] (%s): ", i, t.Type)+format, args...)
		}
		if t.Type != "kafka" {
			tproblem("want type kafka (the consumer group's lag)")
			continue
		}
		md := t.Metadata
		for _, k := range slices.Sorted(maps.Keys(md)) {
			if !slices.Contains(kafkaTriggerKeys, k) {
				tproblem("unknown metadata %q (KEDA's kafka scaler reads %s)", k, strings.Join(kafkaTriggerKeys, ", "))
			}
		}
		// value reads key, or its *FromEnv variant from the target's env.
		value := func(key string) (string, bool) {
			if v, ok := md[key]; ok {
				return v, true
			}
			if name, ok := md[key+"FromEnv"]; ok {
				v, set := p.env[name]
				if !set {
					tproblem("%sFromEnv: %s is not set in Deployment %s", key, name, p.d.Name)
					return "", false
				}
				return v.value, v.known
			}
			tproblem("no %s", key)
			return "", false
		}
		if v, ok := value("bootstrapServers"); ok && brokers != "" && brokerList(v) != brokerList(brokers) {
			tproblem("bootstrapServers %q differ from the Deployment's KAFKA_BROKERS %q", v, brokers)
		}
		group, gok := value("consumerGroup")
		topic, tok := value("topic")
		if gok {
			i := slices.IndexFunc(p.consumers, func(c consumer) bool { return c.group == group })
			if i < 0 {
				tproblem("consumerGroup %q is not a group of Deployment %s (%s)", group, p.d.Name, groupList(p.consumers))
			} else {
				covered[group] = true
				if tok && topic != p.consumers[i].topic {
					tproblem("topic %q, but group %q reads %q", topic, group, p.consumers[i].topic)
				}
			}
		}
		if v, ok := md["lagThreshold"]; !ok {
			tproblem("no lagThreshold (KEDA's default, 10, would scale out on almost any lag)")
		} else if n, err := strconv.ParseInt(v, 10, 64); err != nil || n <= 0 {
			tproblem("lagThreshold %q must be a positive integer", v)
		}
		if v, ok := md["activationLagThreshold"]; ok {
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
				tproblem("activationLagThreshold %q must be a non-negative integer", v)
			}
		}
		if v := md["offsetResetPolicy"]; v != offsetReset {
			if v == "" {
				v = "latest (KEDA's default)"
			}
			tproblem("offsetResetPolicy is %s, but the projector's KAFKA_AUTO_OFFSET_RESET is %s: "+
				"the lag of a group without committed offsets would be counted wrong", v, offsetReset)
		}
		if strings.EqualFold(md["allowIdleConsumers"], "true") {
			tproblem("allowIdleConsumers true lifts KEDA's cap at the partition count: instances beyond it would sit idle")
		}
	}
	for _, c := range p.consumers {
		if !covered[c.group] {
			problem("no kafka trigger on consumer group %q (topic %s)", c.group, c.topic)
		}
	}
}

func groupList(cs []consumer) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.group
	}
	return strings.Join(out, ", ")
}
