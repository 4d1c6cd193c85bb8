package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The stack's Prometheus, through its HTTP API.

// promSample is one series of an instant query's vector.
type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// float is the sample's value.
func (s promSample) float() float64 {
	v, _ := s.Value[1].(string)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0
	}
	return f
}

// promAlert is one alert of /api/v1/alerts.
type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
}

// promRule is one rule of /api/v1/rules.
type promRule struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Health    string `json:"health"`
	LastError string `json:"lastError"`
}

// promGet decodes the data of a Prometheus API answer into out.
func promGet(ctx context.Context, path string, params url.Values, out any) error {
	u := stack.PrometheusURL + path
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	var body struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if body.Status != "success" {
		return fmt.Errorf("%s: %s: %s", path, body.Status, body.Error)
	}
	return json.Unmarshal(body.Data, out)
}

// promQuery runs an instant query that must return a vector.
func promQuery(ctx context.Context, query string) ([]promSample, error) {
	var data struct {
		ResultType string       `json:"resultType"`
		Result     []promSample `json:"result"`
	}
	if err := promGet(ctx, "/api/v1/query", url.Values{"query": {query}}, &data); err != nil {
		return nil, fmt.Errorf("query %s: %w", query, err)
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("query %s: a %s, not a vector", query, data.ResultType)
	}
	return data.Result, nil
}

// promAlerts is every pending or firing alert.
func promAlerts(ctx context.Context) ([]promAlert, error) {
	var data struct {
		Alerts []promAlert `json:"alerts"`
	}
	err := promGet(ctx, "/api/v1/alerts", nil, &data)
	return data.Alerts, err
}

// alertState is the state of alert name (firing, pending, or "" when
// inactive).
func alertState(ctx context.Context, name string) (string, error) {
	alerts, err := promAlerts(ctx)
	if err != nil {
		return "", err
	}
	state := ""
	for _, a := range alerts {
		if a.Labels["alertname"] == name && (state == "" || a.State == "firing") {
			state = a.State
		}
	}
	return state, nil
}

// byLabel is the value of each sample by the given label.
func byLabel(samples []promSample, label string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range samples {
		out[s.Metric[label]] = s.float()
	}
	return out
}

// TestPrometheusScrapesThePipeline: the stack's Prometheus finds every
// projector and the connector watchdog by DNS and scrapes them (up == 1),
// loads the alerting rules, and the README's three questions ("is it
// keeping up?", "is anything poisoned?", "how fresh are the read
// models?") have answers once events flow.
func TestPrometheusScrapesThePipeline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	jobs := append(append([]string{}, Projectors...), "connector-watchdog", "prometheus")
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		up, err := promQuery(ctx, "up")
		if !assert.NoError(ct, err) {
			return
		}
		perJob := map[string][]float64{}
		for _, s := range up {
			perJob[s.Metric["job"]] = append(perJob[s.Metric["job"]], s.float())
		}
		for _, job := range jobs {
			if assert.NotEmpty(ct, perJob[job], "a target of job %s", job) {
				for _, v := range perJob[job] {
					assert.InDelta(ct, 1, v, 0, "up{job=%q}", job)
				}
			}
		}
	}, 90*time.Second, time.Second, "every target scraped")

	var rules struct {
		Groups []struct {
			Rules []promRule `json:"rules"`
		} `json:"groups"`
	}
	require.NoError(t, promGet(ctx, "/api/v1/rules", nil, &rules))
	var alerting []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			assert.NotEqual(t, "err", r.Health, "rule %s: %s", r.Name, r.LastError)
			if r.Type == "alerting" {
				alerting = append(alerting, r.Name)
			}
		}
	}
	sort.Strings(alerting)
	assert.Equal(t, []string{"CommitToWriteSlow", "ConnectorNotRunning", "ConsumerLagGrowing", "MessagesPoisoned",
		"PipelineExporterDown", "ProjectorDown", "ReplicationSlotWALHigh"}, alerting)

	// 10 users x 3 events + 4 activities x 6 events = 54 events.
	l := newLoad("prom", 10, 3, 4, 6)
	done := l.start(ctx, 10*time.Millisecond)
	require.NoError(t, <-done)
	want := l.want()
	Eventually(t, ctx, 2*time.Minute, want, func() any { return l.read(t, ctx, want) })

	// The README's queries, as written there.
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		lag, err := promQuery(ctx, ReadmeLagQuery)
		if assert.NoError(ct, err) {
			perJob := byLabel(lag, "job")
			for _, p := range Projectors {
				if assert.Contains(ct, perJob, p, "lag of %s", p) {
					assert.Zero(ct, perJob[p], "%s caught up", p)
				}
			}
		}
		fresh, err := promQuery(ctx, ReadmeFreshnessQuery)
		if assert.NoError(ct, err) {
			p99 := byLabel(fresh, "read_model")
			for _, rm := range []string{"users", "activities", "user_statistics", "daily_statistics"} {
				if assert.Contains(ct, p99, rm, "commit-to-write p99 of %s", rm) {
					assert.Positive(ct, p99[rm], "%s", rm)
				}
			}
		}
		_, err = promQuery(ctx, ReadmePoisonedQuery)
		assert.NoError(ct, err)
		slot, err := promQuery(ctx, `replication_slot_retained_wal_bytes{slot="outbox_slot"}`)
		if assert.NoError(ct, err) && assert.Len(ct, slot, 1) {
			assert.Positive(ct, slot[0].float(), "retained WAL")
		}
	}, 90*time.Second, 2*time.Second, "the README's queries answer")
}

// The README's queries (section Metrics).
const (
	ReadmeLagQuery       = `sum by (job) (projector_consumer_lag_records)`
	ReadmePoisonedQuery  = `sum by (job, handler) (increase(projector_messages_poisoned_total[1h]))`
	ReadmeFreshnessQuery = `histogram_quantile(0.99, sum by (job, read_model, le) (rate(projector_commit_to_write_seconds_bucket[5m])))`
)
