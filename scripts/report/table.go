package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable prints r for a person: throughput, latency, success, mix.
func (r Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	verdict := "OK"
	if !r.OK() {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "Demo run %s: %s, %s\n", r.RunID, r.Mode, verdict)
	fmt.Fprintf(&b, "  load %s, read models caught up %s after the first commit\n",
		r.LoadFinished.Sub(r.Started).Round(time.Millisecond), r.Projected.Sub(r.Started).Round(time.Millisecond))
	if r.Pace != "" {
		fmt.Fprintf(&b, "  %s\n", r.Pace)
	}

	b.WriteString("\n")
	var tw strings.Builder
	fmt.Fprintln(&tw, "Throughput (per second)\taverage\tpeak\tof\t")
	fmt.Fprintf(&tw, "load: commits to the outbox\t%.0f\t%.0f\tevents\t\n", r.Throughput.Load.Average, r.Throughput.Load.Peak)
	for _, c := range r.Throughput.Consumers {
		fmt.Fprintf(&tw, "%s\t%.0f\t%.0f\t%s\t\n", c.Label, c.Average, c.Peak, c.Unit)
	}
	fmt.Fprintf(&tw, "end to end: commit to every read model\t%.0f\t\tevents\t\n", r.Throughput.EndToEnd)
	if err := aligned(&b, tw.String()); err != nil {
		return err
	}
	b.WriteString("\n")
	tw.Reset()

	fmt.Fprintln(&tw, "Commit-to-read-model latency (ms)\tdocuments\tmin\tp50\tp95\tp99\tmax\t")
	for _, name := range append(slices.Clone(ReadModels), "all") {
		s, ok := r.Latency[name]
		if !ok {
			continue
		}
		fmt.Fprintf(&tw, "%s\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t\n", name, s.N, s.Min, s.P50, s.P95, s.P99, s.Max)
	}
	if err := aligned(&b, tw.String()); err != nil {
		return err
	}
	if st := r.Store; st != nil {
		fmt.Fprintf(&b, "\nStore: %.2f operations per event (%d reads, %d bulk writes), %d documents written (%.2f per event), from %d projector instances\n",
			st.OperationsPerEvent, st.Reads, st.Writes, st.Documents, st.DocumentsPerEvent, st.Instances)
	}

	fmt.Fprintf(&b, "\nSuccess: %.1f %% of %d events handled by every projector without a poison record",
		100*r.Success.Rate, r.Success.Committed)
	var poisoned []string
	for _, topic := range slices.Sorted(maps.Keys(r.Success.Poisoned)) {
		if n := r.Success.Poisoned[topic]; n > 0 {
			poisoned = append(poisoned, fmt.Sprintf("%s +%d", topic, n))
		}
	}
	if len(poisoned) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(poisoned, ", "))
	}
	if !r.Success.CaughtUp {
		b.WriteString("\n  the consumers had NOT caught up when the wait ended")
	}
	fmt.Fprintf(&b, "\nVerifier: %s\n", strings.TrimSpace(strings.ReplaceAll(r.Success.Verification, "\n", "\n  ")))

	b.WriteString("\nEvent mix\n")
	var mix strings.Builder
	for _, s := range r.Categories {
		fmt.Fprintf(&mix, "%s events\t%d\t%.1f %%\t\n", s.Name, s.Count, s.Percent)
	}
	fmt.Fprintln(&mix, "\t\t\t")
	for _, s := range r.Mix {
		fmt.Fprintf(&mix, "%s\t%d\t%.1f %%\t\n", s.Name, s.Count, s.Percent)
	}
	if err := aligned(&b, mix.String()); err != nil {
		return err
	}
	if len(r.Charts) > 0 {
		b.WriteString("\nCharts:")
		for _, k := range slices.Sorted(maps.Keys(r.Charts)) {
			fmt.Fprintf(&b, " %s", r.Charts[k])
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// aligned writes tab-separated rows to b as right-aligned columns.
func aligned(b *strings.Builder, rows string) error {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	if _, err := io.WriteString(tw, rows); err != nil {
		return err
	}
	return tw.Flush()
}
