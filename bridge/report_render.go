package bridge

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge/internal/reportfmt"
)

// A report renders as a summary (the checklist: one line per item, for all
// stores) followed by detail sections (per store, the missed replies, the
// agents…). Surfaces format the same lines their own way (Block Kit, HTML,
// plain text), post the summary first and the details after it, and turn
// ReportLine.Thread into a link to the thread.

// ReportSection is a titled group of report lines.
type ReportSection struct {
	Title string
	Lines []ReportLine
}

// ReportLine is one line of a report. Text and Label may hold marketplace
// text (buyer names): surfaces escape them.
type ReportLine struct {
	// Marked lines start with their verdict's mark.
	Marked  bool
	Verdict Verdict
	// Label names the line's subject: a checklist item, a store, a buyer.
	Label string
	Text  string
	// Rule is the threshold that decided the verdict.
	Rule string
	// Thread, when set, is the conversation's thread, for a link.
	Thread ThreadRef
	// Link opens the conversation in the marketplace's seller centre.
	Link string
}

// Plain renders the line as plain text; thread names a thread (nil: its
// channel and ID).
func (l ReportLine) Plain(thread func(ThreadRef) string) string {
	var b strings.Builder
	if l.Marked {
		b.WriteString(l.Verdict.Mark() + " ")
	}
	if l.Label != "" {
		b.WriteString(l.Label)
		if l.Text != "" {
			b.WriteString(": ")
		}
	}
	b.WriteString(l.Text)
	if !l.Thread.IsZero() {
		b.WriteString(" · " + reportThreadName(l.Thread, thread))
	}
	if l.Rule != "" {
		b.WriteString(" [" + l.Rule + "]")
	}
	return b.String()
}

func reportThreadName(t ThreadRef, name func(ThreadRef) string) string {
	if name != nil {
		if s := name(t); s != "" {
			return s
		}
	}
	return "thread " + t.Channel + "/" + t.ID
}

// Headline is the one-line verdict under the title:
// "❌ 3 stores · 2 ❌ · 1 ⚠️ · 5 ✅".
func (r Report) Headline() string {
	var n [3]int
	for _, c := range r.Checks {
		n[c.Verdict]++
	}
	return fmt.Sprintf("%s %s · %d ❌ · %d ⚠️ · %d ✅", r.Verdict().Mark(), reportfmt.Plural(len(r.Stores), "store"), n[VerdictFail], n[VerdictWarn], n[VerdictOK])
}

// Summary is the checklist: one marked line per item.
func (r Report) Summary() []ReportLine {
	out := make([]ReportLine, 0, len(r.Checks))
	for _, c := range r.Checks {
		out = append(out, ReportLine{Marked: true, Verdict: c.Verdict, Label: c.Item.Title(), Text: c.Text, Rule: c.Rule})
	}
	return out
}

// Details are the report's detail sections, in checklist order.
func (r Report) Details() []ReportSection {
	var out []ReportSection
	perStore := func(item CheckItem) []ReportLine {
		lines := make([]ReportLine, 0, len(r.Stores))
		for _, s := range r.Stores {
			c := s.Check(item)
			lines = append(lines, ReportLine{Marked: true, Verdict: c.Verdict, Label: s.Name(), Text: c.Text, Rule: c.Rule})
		}
		return lines
	}
	conn := perStore(CheckConnectivity)
	if r.Chat.Incidents > 0 {
		c := r.ChatCheck
		conn = append(conn, ReportLine{Marked: true, Verdict: c.Verdict, Label: "chat surface", Text: c.Text, Rule: c.Rule})
	}
	for _, in := range r.Incidents {
		end := "still open"
		if !in.EndedAt.IsZero() {
			end = r.at(in.EndedAt) + " (" + reportfmt.Duration(in.EndedAt.Sub(in.StartedAt)) + ")"
		}
		who := "chat surface " + in.Scope
		if in.Scope == "marketplace" {
			names := make([]string, 0, len(in.Stores))
			for _, id := range in.Stores {
				names = append(names, r.storeLabel(id))
			}
			who = strings.Join(names, ", ")
		}
		text := r.at(in.StartedAt) + " → " + end + " · " + who
		if in.Error != "" {
			text += " · " + in.Error
		}
		if in.CaughtUp > 0 {
			text += fmt.Sprintf(" · %s caught up", reportfmt.Plural(in.CaughtUp, "message"))
		}
		if in.CatchUpFailed {
			text += " · catch-up failed"
		}
		conn = append(conn, ReportLine{Label: "incident", Text: text})
	}
	out = append(out, ReportSection{Title: CheckConnectivity.Title(), Lines: conn})
	out = append(out, ReportSection{Title: CheckSync.Title(), Lines: perStore(CheckSync)})
	out = append(out, ReportSection{Title: CheckThreads.Title(), Lines: perStore(CheckThreads)})
	out = append(out, ReportSection{Title: CheckAuth.Title(), Lines: perStore(CheckAuth)})

	sending := perStore(CheckReplies)
	for i, rc := range r.Total.Replies.Reasons {
		if i == 5 {
			break
		}
		sending = append(sending, ReportLine{Label: "failure reason", Text: fmt.Sprintf("%s (%d)", rc.Reason, rc.Count)})
	}
	out = append(out, ReportSection{Title: CheckReplies.Title(), Lines: sending})

	var restarts []ReportLine
	for _, ev := range r.Restarts.Events {
		text := fmt.Sprintf("resumed from saved state (%d of %d stores had a cursor)", ev.StoresWithCursor, ev.Stores)
		if !ev.Resumed {
			text = "full resync (no saved cursor)"
		}
		restarts = append(restarts, ReportLine{Label: r.at(ev.At), Text: text})
	}
	if !r.Restarts.FirstStart.IsZero() {
		restarts = append([]ReportLine{{Label: r.at(r.Restarts.FirstStart), Text: "first start of a new install (nothing to resume)"}}, restarts...)
	}
	if len(restarts) == 0 {
		restarts = append(restarts, ReportLine{Text: "no restart in the period"})
	}
	out = append(out, ReportSection{Title: CheckRestarts.Title(), Lines: restarts})

	var missed []ReportLine
	for i, m := range r.Missed {
		if r.MaxListed > 0 && i == r.MaxListed {
			missed = append(missed, ReportLine{Text: fmt.Sprintf("… and %d more", len(r.Missed)-i)})
			break
		}
		buyer := m.BuyerName
		if buyer == "" {
			buyer = "buyer of " + string(m.Conversation)
		}
		missed = append(missed, ReportLine{
			Label: buyer, Thread: m.Thread, Link: m.Link,
			Text: fmt.Sprintf("waiting %s since %s · %s", reportfmt.Duration(m.Waiting), r.at(m.AwaitingSince), storeName(m.Store)),
		})
	}
	if len(missed) == 0 {
		missed = append(missed, ReportLine{Text: "no buyer waiting longer than " + reportfmt.Duration(r.SLA)})
	}
	out = append(out, ReportSection{Title: CheckMissed.Title(), Lines: missed})

	resp := perStore(CheckResponse)
	for _, a := range r.Agents {
		text := fmt.Sprintf("p50 %s, p90 %s over %s", reportfmt.Duration(a.P50), reportfmt.Duration(a.P90), reportfmt.Plural(a.Count, "response"))
		if a.Late > 0 {
			text += fmt.Sprintf(" (%d after more than %s)", a.Late, reportfmt.Duration(r.SLA))
		}
		resp = append(resp, ReportLine{Label: "agent " + a.Label(), Text: text})
	}
	out = append(out, ReportSection{Title: CheckResponse.Title(), Lines: resp})
	out = append(out, ReportSection{Title: CheckBacklog.Title(), Lines: perStore(CheckBacklog)})
	return out
}

// at renders a time in the report's zone.
func (r Report) at(t time.Time) string {
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	return reportfmt.Time(t, loc, r.GeneratedAt)
}

func (r Report) storeLabel(id StoreID) string {
	for _, s := range r.Stores {
		if s.Store.ID == id {
			return s.Name()
		}
	}
	return string(id)
}

// SummaryText is the title, the headline and the checklist as plain text.
func (r Report) SummaryText() string {
	var b strings.Builder
	b.WriteString(r.Title + "\n" + r.Headline() + "\n")
	for _, l := range r.Summary() {
		b.WriteString("\n" + l.Plain(nil))
	}
	return b.String()
}

// DetailsText renders the detail sections as plain text; thread names a
// thread (nil: its channel and ID).
func (r Report) DetailsText(thread func(ThreadRef) string) string {
	var b strings.Builder
	for i, s := range r.Details() {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString("— " + s.Title + " —")
		for _, l := range s.Lines {
			b.WriteString("\n" + l.Plain(thread))
		}
	}
	return b.String()
}

// Text is the whole report as plain text (console, CLI, surfaces without
// a richer rendering).
func (r Report) Text(thread func(ThreadRef) string) string {
	return r.SummaryText() + "\n\n" + r.DetailsText(thread)
}
