package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	dc "github.com/ory/dockertest/v3/docker"

	"github.com/ory/dockertest/v3"

	"github.com/activityapp/event-processor/scripts/connect"
)

// Image names come from the same variables docker-compose.yml reads, with
// the same defaults.
func image(env, def string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	return def
}

// Projectors, by compose service name (also the consumer group).
var Projectors = []string{"user-projector", "activity-projector", "statistics-projector"}

const (
	// RunLabel marks every container and network of one run, so leftovers
	// of a killed run can be found: docker ps -a --filter label=e2e-run.
	RunLabel = "e2e-run"

	OutboxTopic   = "postgres.activity.event_outbox"
	MongoDatabase = "activity_read_models"
	ConnectorName = "outbox-connector"
)

// Stack is the running pipeline. Containers reach each other by container
// name on a user-defined network; the test process reaches them through
// host ports Docker picked (Kafka's is picked here, see startKafka).
type Stack struct {
	RunID string
	Pool  *dockertest.Pool
	Net   *dockertest.Network

	PostgresURL string // for pgx, from the host
	KafkaBroker string // localhost:<port>, advertised by the EXTERNAL listener
	ConnectURL  string
	MongoURI    string
	// PrometheusURL is the stack's Prometheus, scraping the projectors
	// and the connector watchdog as in docker-compose.yml.
	PrometheusURL string

	mu        sync.Mutex
	resources map[string]*dockertest.Resource // by service name
	order     []string
	closeOnce sync.Once
	root      string // repository root
}

// NewStack connects to the Docker engine and creates the run's network.
func NewStack() (*Stack, error) {
	pool, err := dockertest.NewPool("")
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	if err := pool.Client.Ping(); err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		return nil, err
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	s := &Stack{RunID: hex.EncodeToString(b), Pool: pool, resources: map[string]*dockertest.Resource{}, root: root}
	s.Net, err = pool.CreateNetwork("e2e-"+s.RunID, func(o *dc.CreateNetworkOptions) {
		o.Labels = map[string]string{RunLabel: s.RunID}
	})
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	return s, nil
}

// Name is the container name (and DNS name on the network) of a service.
func (s *Stack) Name(service string) string { return "e2e-" + s.RunID + "-" + service }

// Resource returns a started service's container.
func (s *Stack) Resource(service string) *dockertest.Resource {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resources[service]
}

// Close removes every container (with its anonymous volumes) and the
// network of this run, by id. Safe to call more than once and concurrently.
func (s *Stack) Close() error {
	var errs []error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		order := append([]string(nil), s.order...)
		s.mu.Unlock()
		for i := len(order) - 1; i >= 0; i-- {
			if r := s.Resource(order[i]); r != nil {
				if err := s.Pool.Purge(r); err != nil {
					errs = append(errs, fmt.Errorf("purge %s: %w", order[i], err))
				}
			}
		}
		if s.Net != nil {
			if err := s.Net.Close(); err != nil {
				errs = append(errs, fmt.Errorf("network: %w", err))
			}
		}
	})
	return errors.Join(errs...)
}

type spec struct {
	service     string
	image       string
	env         []string
	cmd         []string
	binds       []string
	exposed     []string
	bindings    map[dc.Port][]dc.PortBinding
	healthcheck *dc.HealthConfig
}

// run creates and starts a container the way compose would: the image's
// stop signal, the compose healthcheck, on the run's network under its
// service name as an alias. dockertest's RunWithOptions cannot set a
// healthcheck or an alias, so the container is created with its client and
// wrapped in a Resource (Purge needs only the id).
func (s *Stack) run(sp spec) (*dockertest.Resource, error) {
	repo, tag := splitImage(sp.image)
	if _, err := s.Pool.Client.InspectImage(repo + ":" + tag); err != nil {
		return nil, fmt.Errorf("%s: image %s:%s not present (no registry here; set the *_IMAGE variables, see deployments/.images.env): %w", sp.service, repo, tag, err)
	}
	exposed := map[dc.Port]struct{}{}
	bindings := map[dc.Port][]dc.PortBinding{}
	for _, p := range sp.exposed {
		exposed[dc.Port(p)] = struct{}{}
		// Empty HostPort: Docker picks a free one. Loopback only.
		bindings[dc.Port(p)] = []dc.PortBinding{{HostIP: "127.0.0.1"}}
	}
	for p, b := range sp.bindings {
		exposed[p] = struct{}{}
		bindings[p] = b
	}
	c, err := s.Pool.Client.CreateContainer(dc.CreateContainerOptions{
		Name: s.Name(sp.service),
		Config: &dc.Config{
			Image:        repo + ":" + tag,
			Env:          sp.env,
			Cmd:          sp.cmd,
			ExposedPorts: exposed,
			Labels:       map[string]string{RunLabel: s.RunID, "e2e-service": sp.service},
			Healthcheck:  sp.healthcheck,
		},
		HostConfig: &dc.HostConfig{
			Binds:        sp.binds,
			PortBindings: bindings,
		},
		NetworkingConfig: &dc.NetworkingConfig{EndpointsConfig: map[string]*dc.EndpointConfig{
			s.Net.Network.ID: {Aliases: []string{sp.service}},
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("%s: create: %w", sp.service, err)
	}
	r := &dockertest.Resource{Container: c}
	s.mu.Lock()
	s.resources[sp.service] = r
	if !slices.Contains(s.order, sp.service) {
		s.order = append(s.order, sp.service)
	}
	s.mu.Unlock()
	if err := s.Pool.Client.StartContainer(c.ID, nil); err != nil {
		return r, fmt.Errorf("%s: start: %w", sp.service, err)
	}
	if r.Container, err = s.Pool.Client.InspectContainer(c.ID); err != nil {
		return r, fmt.Errorf("%s: inspect: %w", sp.service, err)
	}
	return r, nil
}

func splitImage(img string) (string, string) {
	if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
		return img[:i], img[i+1:]
	}
	return img, "latest"
}

// hostPort is the 127.0.0.1 port Docker mapped to the container port.
func hostPort(r *dockertest.Resource, port string) string {
	return r.GetHostPort(port)
}

// freePort asks the kernel for a free loopback port. Kafka must advertise
// its host port, known only after start otherwise; the small window
// between closing this listener and Docker binding the port is accepted.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Compose's healthchecks, verbatim.
var (
	pgHealth = &dc.HealthConfig{
		Test:     []string{"CMD", "pg_isready", "-U", "postgres", "-d", "activity"},
		Interval: 2 * time.Second, Timeout: 3 * time.Second, Retries: 60,
	}
	kafkaHealth = &dc.HealthConfig{
		Test:     []string{"CMD", "/opt/kafka/bin/kafka-broker-api-versions.sh", "--bootstrap-server", "localhost:9092"},
		Interval: 5 * time.Second, Timeout: 10 * time.Second, Retries: 30, StartPeriod: 10 * time.Second,
	}
	connectHealth = &dc.HealthConfig{
		// As in docker-compose.yml: the REST API answers, nothing FAILED.
		Test: []string{"CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8083 && " +
			`printf 'GET /connectors?expand=status HTTP/1.0\r\n\r\n' >&3 && ` +
			`r=$(cat <&3) && [[ $r == *" 200 "* ]] && [[ $r != *'"state":"FAILED"'* ]]`},
		Interval: 5 * time.Second, Timeout: 5 * time.Second, Retries: 3, StartPeriod: 3 * time.Minute,
	}
	mongoHealth = &dc.HealthConfig{
		Test:     []string{"CMD-SHELL", "if command -v mongosh >/dev/null; then mongosh --quiet --eval 'quit(db.adminCommand({ping: 1}).ok ? 0 : 1)'; else mongo-healthcheck; fi"},
		Interval: 2 * time.Second, Timeout: 5 * time.Second, Retries: 60,
	}
	watchdogHealth = &dc.HealthConfig{
		Test:     []string{"CMD", "/app", "probe", "-listen", "127.0.0.1:8080"},
		Interval: 10 * time.Second, Timeout: 5 * time.Second, Retries: 3, StartPeriod: 10 * time.Second,
	}
	projectorHealth = &dc.HealthConfig{
		Test:     []string{"CMD", "/app", "healthcheck"},
		Interval: 5 * time.Second, Timeout: 4 * time.Second, Retries: 24, StartPeriod: 5 * time.Second,
	}
)

func (s *Stack) startPostgres() error {
	r, err := s.run(spec{
		service:     "postgres",
		image:       image("POSTGRES_IMAGE", "postgres:15"),
		cmd:         []string{"postgres", "-c", "wal_level=logical", "-c", "max_wal_senders=10", "-c", "max_replication_slots=10"},
		env:         []string{"POSTGRES_USER=postgres", "POSTGRES_PASSWORD=postgres", "POSTGRES_DB=activity"},
		binds:       []string{filepath.Join(s.root, "deployments", "postgres") + ":/docker-entrypoint-initdb.d:ro"},
		exposed:     []string{"5432/tcp"},
		healthcheck: pgHealth,
	})
	if err != nil {
		return err
	}
	s.PostgresURL = fmt.Sprintf("postgres://postgres:postgres@%s/activity?sslmode=disable", hostPort(r, "5432/tcp"))
	return nil
}

func (s *Stack) startKafka() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	s.KafkaBroker = fmt.Sprintf("localhost:%d", port)
	_, err = s.run(spec{
		service: "kafka",
		image:   image("KAFKA_IMAGE", "apache/kafka:4.1.1"),
		env: []string{
			"KAFKA_NODE_ID=1",
			"KAFKA_PROCESS_ROLES=broker,controller",
			"KAFKA_LISTENERS=INTERNAL://:9092,EXTERNAL://:29092,CONTROLLER://:9093",
			"KAFKA_ADVERTISED_LISTENERS=INTERNAL://kafka:9092,EXTERNAL://" + s.KafkaBroker,
			"KAFKA_LISTENER_SECURITY_PROTOCOL_MAP=INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
			"KAFKA_INTER_BROKER_LISTENER_NAME=INTERNAL",
			"KAFKA_CONTROLLER_LISTENER_NAMES=CONTROLLER",
			"KAFKA_CONTROLLER_QUORUM_VOTERS=1@kafka:9093",
			"KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR=1",
			"KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR=1",
			"KAFKA_TRANSACTION_STATE_LOG_MIN_ISR=1",
			"KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS=0",
			"KAFKA_NUM_PARTITIONS=12",
			"KAFKA_MESSAGE_MAX_BYTES=8388608",
			"KAFKA_LOG_DIRS=/var/lib/kafka/data",
			"KAFKA_HEAP_OPTS=-Xms384m -Xmx384m",
			"CLUSTER_ID=4L6g3nShT-eMCtK--X86sw",
		},
		bindings:    map[dc.Port][]dc.PortBinding{"29092/tcp": {{HostIP: "127.0.0.1", HostPort: fmt.Sprint(port)}}},
		healthcheck: kafkaHealth,
	})
	return err
}

func (s *Stack) startMongo() error {
	r, err := s.run(spec{
		service:     "mongo",
		image:       image("MONGO_IMAGE", "mongo:7"),
		exposed:     []string{"27017/tcp"},
		healthcheck: mongoHealth,
	})
	if err != nil {
		return err
	}
	s.MongoURI = "mongodb://" + hostPort(r, "27017/tcp")
	return nil
}

func (s *Stack) startConnect() error {
	r, err := s.run(spec{
		service: "connect",
		image:   image("CONNECT_IMAGE", "quay.io/debezium/connect:3.6.1.Final"),
		env: []string{
			"BOOTSTRAP_SERVERS=kafka:9092",
			"GROUP_ID=event-processor-connect",
			"CONFIG_STORAGE_TOPIC=connect_configs",
			"OFFSET_STORAGE_TOPIC=connect_offsets",
			"STATUS_STORAGE_TOPIC=connect_statuses",
			"CONFIG_STORAGE_REPLICATION_FACTOR=1",
			"OFFSET_STORAGE_REPLICATION_FACTOR=1",
			"STATUS_STORAGE_REPLICATION_FACTOR=1",
			"CONNECT_CONNECTOR_CLIENT_CONFIG_OVERRIDE_POLICY=All",
			"HEAP_OPTS=-Xms256m -Xmx512m",
		},
		exposed:     []string{"8083/tcp"},
		healthcheck: connectHealth,
	})
	if err != nil {
		return err
	}
	s.ConnectURL = "http://" + hostPort(r, "8083/tcp")
	return nil
}

// registerConnector PUTs debezium/postgres-connector.json, pointed at this
// run's postgres, and waits until it runs.
func (s *Stack) registerConnector(ctx context.Context) error {
	raw, err := os.ReadFile(filepath.Join(s.root, "debezium", "postgres-connector.json"))
	if err != nil {
		return err
	}
	var c connect.Connector
	if err := json.Unmarshal(raw, &c); err != nil {
		return err
	}
	c.Config["database.hostname"] = "postgres" // the network alias
	client := connect.NewClient(s.ConnectURL)
	if err := client.WaitReady(ctx); err != nil {
		return err
	}
	if err := client.Put(ctx, c); err != nil {
		return err
	}
	_, err = client.WaitRunning(ctx, c.Name)
	return err
}

// startWatchdog runs the connector watchdog as docker-compose.yml does:
// the exporter of the connector's and the replication slot's state.
func (s *Stack) startWatchdog() error {
	_, err := s.run(spec{
		service: "connector-watchdog",
		image:   image("TOOLS_IMAGE", "event-processor/connector:latest"),
		cmd: []string{"watch", "-url", "http://connect:8083", "-name", ConnectorName, "-listen", ":8080",
			"-slot", "outbox_slot", "-interval", "10s"},
		env:         []string{"POSTGRES_URL=postgres://postgres:postgres@postgres:5432/activity?sslmode=disable"},
		healthcheck: watchdogHealth,
	})
	return err
}

// startPrometheus runs Prometheus with the repository's configuration and
// alerting rules (deployments/prometheus), as docker-compose.yml does.
func (s *Stack) startPrometheus() error {
	r, err := s.run(spec{
		service: "prometheus",
		image:   image("PROMETHEUS_IMAGE", "prom/prometheus:v2.42.0"),
		cmd:     []string{"--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"},
		binds:   []string{filepath.Join(s.root, "deployments", "prometheus") + ":/etc/prometheus:ro"},
		exposed: []string{"9090/tcp"},
	})
	if err != nil {
		return err
	}
	s.PrometheusURL = "http://" + hostPort(r, "9090/tcp")
	return nil
}

// ProjectorLogLevel is debug: the correlation middleware writes its
// "event handled" line, which names the correlation id, at debug.
const ProjectorLogLevel = "debug"

func (s *Stack) startProjector(svc string) error {
	_, err := s.run(projectorSpec(svc, svc, projectorImage(svc)))
	return err
}

// projectorImage is a projector's image, from the variable the compose
// file reads.
func projectorImage(svc string) string {
	return image(strings.ToUpper(strings.ReplaceAll(svc, "-", "_"))+"_IMAGE", "event-processor/"+svc+":latest")
}

// projectorSpec is an instance of projector svc (its consumer group) as
// docker-compose.yml runs it, named instance on the network.
func projectorSpec(instance, svc, img string) spec {
	return spec{
		service: instance,
		image:   img,
		env: []string{
			"KAFKA_BROKERS=kafka:9092",
			"KAFKA_TOPIC=" + OutboxTopic,
			"MONGODB_URI=mongodb://mongo:27017",
			"MONGODB_DATABASE=" + MongoDatabase,
			"LOG_LEVEL=" + ProjectorLogLevel,
			"HTTP_ADDR=:8080",
			"KAFKA_CONSUMER_GROUP=" + svc,
		},
		healthcheck: projectorHealth,
	}
}

// RemoveInstance removes an extra instance a scenario started.
func (s *Stack) RemoveInstance(instance string) error {
	r := s.Resource(instance)
	if r == nil {
		return nil
	}
	if err := s.Pool.Purge(r); err != nil {
		return fmt.Errorf("remove %s: %w", instance, err)
	}
	s.mu.Lock()
	delete(s.resources, instance)
	s.order = slices.DeleteFunc(s.order, func(n string) bool { return n == instance })
	s.mu.Unlock()
	return nil
}

// ReplaceProjector deploys img as projector svc, the way an orchestrator
// rolls a single instance: the running container gets SIGTERM and up to
// its stop grace period (40 s, as in docker-compose.yml) to finish, then
// the new one starts under the same name and waits until healthy.
func (s *Stack) ReplaceProjector(ctx context.Context, svc, img string) error {
	if old := s.Resource(svc); old != nil {
		if err := s.Pool.Client.StopContainer(old.Container.ID, 40); err != nil {
			return fmt.Errorf("%s: stop: %w", svc, err)
		}
		if err := s.Pool.Purge(old); err != nil {
			return fmt.Errorf("%s: remove: %w", svc, err)
		}
		s.mu.Lock()
		delete(s.resources, svc)
		s.mu.Unlock()
	}
	if _, err := s.run(projectorSpec(svc, svc, img)); err != nil {
		return err
	}
	return s.WaitHealthy(ctx, svc)
}

// WaitHealthy waits until Docker reports the service's healthcheck healthy,
// and fails early when the container exits or turns unhealthy.
func (s *Stack) WaitHealthy(ctx context.Context, service string) error {
	r := s.Resource(service)
	if r == nil {
		return fmt.Errorf("%s: not started", service)
	}
	for {
		c, err := s.Pool.Client.InspectContainerWithContext(r.Container.ID, ctx)
		if err == nil {
			switch {
			case !c.State.Running:
				return fmt.Errorf("%s: container exited (code %d)", service, c.State.ExitCode)
			case c.State.Health.Status == "healthy":
				return nil
			case c.State.Health.Status == "unhealthy":
				return fmt.Errorf("%s: unhealthy: %s", service, lastProbe(c))
			}
		}
		select {
		case <-ctx.Done():
			status := ""
			if c != nil {
				status = c.State.Health.Status + " " + lastProbe(c)
			}
			return fmt.Errorf("%s: not healthy (%s): %w", service, status, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func lastProbe(c *dc.Container) string {
	if n := len(c.State.Health.Log); n > 0 {
		return strings.TrimSpace(c.State.Health.Log[n-1].Output)
	}
	return ""
}

// Logs returns a service's stdout and stderr so far.
func (s *Stack) Logs(service string) string {
	r := s.Resource(service)
	if r == nil {
		return ""
	}
	var buf bytes.Buffer
	err := s.Pool.Client.Logs(dc.LogsOptions{
		Container: r.Container.ID, OutputStream: &buf, ErrorStream: &buf,
		Stdout: true, Stderr: true, RawTerminal: false,
	})
	if err != nil {
		fmt.Fprintf(&buf, "\n(logs: %v)", err)
	}
	return buf.String()
}

// DumpLogs writes the last lines of the given services' logs (every
// service when none is named) to stderr.
func (s *Stack) DumpLogs(services ...string) {
	if len(services) == 0 {
		s.mu.Lock()
		services = append(services, s.order...)
		s.mu.Unlock()
	}
	for _, svc := range services {
		logs := strings.Split(strings.TrimRight(s.Logs(svc), "\n"), "\n")
		if len(logs) > 80 {
			logs = logs[len(logs)-80:]
		}
		fmt.Fprintf(os.Stderr, "----- %s (%s) last %d lines -----\n%s\n", svc, s.Name(svc), len(logs), strings.Join(logs, "\n"))
	}
}

// Start brings the stack up in compose's dependency order, starting what
// does not depend on anything concurrently: postgres, kafka and mongo;
// connect once kafka and postgres are healthy; the connector; then the
// projectors once kafka, mongo and the connector are ready.
func (s *Stack) Start(ctx context.Context, logf func(string, ...any)) error {
	began := time.Now()
	step := func(what string) { logf("e2e: %-40s %6.1fs", what, time.Since(began).Seconds()) }
	if err := errors.Join(s.startPostgres(), s.startKafka(), s.startMongo()); err != nil {
		return err
	}
	if err := parallel(ctx, func(ctx context.Context) error { return s.WaitHealthy(ctx, "postgres") },
		func(ctx context.Context) error { return s.WaitHealthy(ctx, "kafka") }); err != nil {
		return err
	}
	step("postgres and kafka healthy")
	if err := s.startConnect(); err != nil {
		return err
	}
	if err := parallel(ctx, func(ctx context.Context) error { return s.WaitHealthy(ctx, "connect") },
		func(ctx context.Context) error { return s.WaitHealthy(ctx, "mongo") }); err != nil {
		return err
	}
	step("connect and mongo healthy")
	if err := s.registerConnector(ctx); err != nil {
		return err
	}
	step("connector running")
	if err := errors.Join(s.startWatchdog(), s.startPrometheus()); err != nil {
		return err
	}
	var fns []func(context.Context) error
	for _, p := range Projectors {
		if err := s.startProjector(p); err != nil {
			return err
		}
		fns = append(fns, func(ctx context.Context) error { return s.WaitHealthy(ctx, p) })
	}
	fns = append(fns, func(ctx context.Context) error { return s.WaitHealthy(ctx, "connector-watchdog") },
		func(ctx context.Context) error { return waitHTTP(ctx, s.PrometheusURL+"/-/ready") })
	if err := parallel(ctx, fns...); err != nil {
		return err
	}
	step("projectors, watchdog and prometheus ready")
	return nil
}

// waitHTTP waits until url answers 200.
func waitHTTP(ctx context.Context, url string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", url, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func parallel(ctx context.Context, fns ...func(context.Context) error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = fn(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
