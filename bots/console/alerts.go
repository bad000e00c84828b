package console

import (
	"context"
	"slices"

	"github.com/shopbridge/shopbridge/bridge"
)

// alertRecord is an alert and its edits, oldest first.
type alertRecord struct {
	ref      bridge.AlertRef
	versions []bridge.Alert
}

// AlertInfo is an alert as the surface recorded it: its reference and every
// version, the first one posted and then each edit.
type AlertInfo struct {
	Ref      bridge.AlertRef
	Versions []bridge.Alert
}

// ReportInfo is a report the surface printed.
type ReportInfo struct {
	Ref   bridge.ChatMessageRef
	Title string
}

// PostAlert prints "ALERT [A1] …" with what to type for each action.
func (s *Surface) PostAlert(ctx context.Context, a bridge.Alert) (bridge.AlertRef, error) {
	ref := bridge.AlertRef{Channel: Channel, ID: s.alertIDs.take(ctx)}
	s.mu.Lock()
	rec := &alertRecord{ref: ref, versions: []bridge.Alert{a}}
	s.alerts = append(s.alerts, rec)
	s.alertBy[ref.ID] = rec
	line := renderAlert(s.paint, ref.ID, a, false)
	s.notifyLocked()
	s.mu.Unlock()
	s.out.print(line)
	return ref, nil
}

// UpdateAlert prints "ALERT [A1] (updated) …". An alert posted before a
// restart is recorded from its first edit on.
func (s *Surface) UpdateAlert(ctx context.Context, ref bridge.AlertRef, a bridge.Alert) error {
	if ref.Channel == Channel {
		s.alertIDs.seen(ref.ID)
	}
	s.mu.Lock()
	rec, ok := s.alertBy[ref.ID]
	if !ok {
		rec = &alertRecord{ref: ref}
		s.alerts = append(s.alerts, rec)
		s.alertBy[ref.ID] = rec
	}
	rec.versions = append(rec.versions, a)
	line := renderAlert(s.paint, ref.ID, a, true)
	s.notifyLocked()
	s.mu.Unlock()
	s.out.print(line)
	return nil
}

// Alerts returns the alerts in the order they were posted.
func (s *Surface) Alerts() []AlertInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AlertInfo, 0, len(s.alerts))
	for _, a := range s.alerts {
		out = append(out, AlertInfo{Ref: a.ref, Versions: slices.Clone(a.versions)})
	}
	return out
}

// Notify prints a private answer: "(to agent1) …".
func (s *Surface) Notify(ctx context.Context, n bridge.Notice) error {
	tag := ""
	if n.Thread.Channel == Channel {
		tag = n.Thread.ID
	}
	s.out.print(renderNotice(s.paint, tag, n))
	if tag != "" {
		s.noticed(tag)
	}
	return nil
}

// PostReport prints a report (the daily inspection report) inside a
// banner. Slack and Telegram have the same optional method.
func (s *Surface) PostReport(ctx context.Context, title, text string) (bridge.ChatMessageRef, error) {
	ref := bridge.ChatMessageRef{Channel: Channel, ID: s.msgIDs.take(ctx)}
	s.mu.Lock()
	s.reports = append(s.reports, ReportInfo{Ref: ref, Title: title})
	s.notifyLocked()
	s.mu.Unlock()
	s.out.print(renderReport(s.paint, title, text))
	return ref, nil
}

// Reports returns the reports printed, in order.
func (s *Surface) Reports() []ReportInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reports)
}
