// Package charts renders small standalone SVG 1.1 charts (a latency
// histogram and a throughput line chart) for the pipeline demo report.
//
// It has no dependencies beyond the standard library and emits no fonts,
// scripts or CSS, so the files open in any browser and can be attached to
// a report as they are. Output is deterministic: the same spec always gives
// the same bytes, which keeps generated reports diffable.
//
// Values that are NaN or ±Inf are dropped before anything is measured, and
// empty or degenerate input still yields a valid chart that says "no data".
package charts
