// Package report computes the daily inspection report from the state
// (Build, reading the read-only State), decides the verdicts of its
// checklist against the configured thresholds, and posts it: on its
// schedules, each at most once across crashes (Reporter, keeping
// bridge.ReportDeliveries), and on request (`report`, which the Reporter
// adds to the engine's commands; `shopbridge report` in cmd). The report
// itself, bridge.Report with its figures and its lines, is the core's: the
// surfaces render it.
//
// It imports bridge and bridge/internal/reportfmt, nothing else of the
// project.
package report
