// Package tracing is Orion's AWS X-Ray instrumentation of AWS SDK calls: one X-Ray subsegment per call,
// sent to the X-Ray daemon's UDP endpoint that Lambda provides when active tracing is on, under the
// invocation's trace header (package traceheader).
//
// It is a small adapter of our own rather than the X-Ray SDK for Go (in maintenance mode since February
// 2026, and built on the AWS SDK v1) or OpenTelemetry (its AWS SDK v2 instrumentation is deprecated, and
// an OTLP exporter plus the collector layer it needs would double the binaries and add an extension to
// every cold start); docs/operations.md ("Tracing") has the measurements.
package tracing
