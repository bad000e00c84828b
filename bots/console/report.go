package console

import (
	"context"

	"github.com/shopbridge/shopbridge/bridge"
)

// PostInspection prints the daily inspection report as plain text inside a
// banner: the summary first, then the details. Missed replies name their
// thread as the console does ("T3"), so an agent can answer with "T3 …".
// The console has one channel; channel is ignored.
func (s *Surface) PostInspection(ctx context.Context, channel string, r bridge.Report) (bridge.ChatMessageRef, error) {
	ref := bridge.ChatMessageRef{Channel: Channel, ID: s.msgIDs.take(ctx)}
	s.mu.Lock()
	s.reports = append(s.reports, ReportInfo{Ref: ref, Title: r.Title})
	s.notifyLocked()
	s.mu.Unlock()
	body := r.Headline() + "\n"
	for _, l := range r.Summary() {
		body += "\n" + l.Plain(nil)
	}
	body += "\n\n" + r.DetailsText(reportThreadName)
	s.out.print(renderReport(s.paint, r.Title, body))
	return ref, nil
}

// reportThreadName names a console thread by its ID ("thread T3").
func reportThreadName(t bridge.ThreadRef) string {
	if t.Channel == Channel {
		return "thread " + t.ID
	}
	return ""
}
