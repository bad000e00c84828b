package slack

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// metaReport is the metadata event type of an inspection report's summary
// message; its payload names the report's key, so FindInspection can find
// it again after a restart.
const metaReport = "shopbridge_report"

// methodHistory reads a channel's history (Tier 3).
const methodHistory = "conversations.history"

var (
	_ bridge.InspectionPoster = (*Surface)(nil)
	_ bridge.InspectionFinder = (*Surface)(nil)
)

// PostInspection posts the daily inspection report as Block Kit: the
// summary (title, headline, one section per checklist line) as a message in
// the channel (the report channel for ""), and the details as replies in
// its thread, split to stay within Slack's block and text limits. Missed
// replies link to their threads. It returns the summary message.
func (s *Surface) PostInspection(ctx context.Context, channel string, r bridge.Report) (bridge.ChatMessageRef, error) {
	if channel == "" {
		channel = s.cfg.ReportChannel
	}
	summary := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, truncate(r.Title, 150), true, false)),
		contextLine(escapeText(r.Headline())),
	}
	for _, l := range r.Summary() {
		summary = append(summary, section(s.reportLine(ctx, l, nil)))
	}
	opts := []slack.MsgOption{
		slack.MsgOptionBlocks(summary...),
		slack.MsgOptionText(escapeText(truncate(r.Title+" — "+r.Headline(), 300)), false),
		slack.MsgOptionDisableLinkUnfurl(),
	}
	if r.Key != "" {
		opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{EventType: metaReport, EventPayload: map[string]any{"key": r.Key}}))
	}
	var ch, ts string
	err := s.do(ctx, call{op: "post report", method: methodPostMessage, channel: channel, prio: prioLow}, func(ctx context.Context) error {
		var err error
		ch, ts, err = s.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	if err != nil {
		return bridge.ChatMessageRef{}, err
	}
	if ch == "" {
		ch = channel
	}
	ref := bridge.ChatMessageRef{Channel: ch, ID: ts}

	links := map[bridge.ThreadRef]string{}
	for _, part := range s.reportDetails(ctx, r, links) {
		err := s.do(ctx, call{op: "post report details", method: methodPostMessage, channel: ch, prio: prioLow}, func(ctx context.Context) error {
			_, _, err := s.api.PostMessageContext(ctx, ch, slack.MsgOptionTS(ts), slack.MsgOptionBlocks(part...),
				slack.MsgOptionText(escapeText(truncate(r.Title+" — details", 300)), false), slack.MsgOptionDisableLinkUnfurl())
			return err
		})
		if err != nil {
			return ref, fmt.Errorf("slack: report details: %w", err)
		}
	}
	return ref, nil
}

// reportDetails renders the detail sections into messages of at most
// MaxBlocks blocks, each block's text within TextLimit.
func (s *Surface) reportDetails(ctx context.Context, r bridge.Report, links map[bridge.ThreadRef]string) [][]slack.Block {
	var blocks []slack.Block
	for _, sec := range r.Details() {
		lines := []string{"*" + escapeInline(sec.Title, 150) + "*"}
		for _, l := range sec.Lines {
			lines = append(lines, s.reportLine(ctx, l, links))
		}
		for _, chunk := range packLines(lines, s.cfg.TextLimit) {
			blocks = append(blocks, section(chunk))
		}
	}
	var out [][]slack.Block
	for per := max(s.cfg.MaxBlocks, 1); len(blocks) > 0; {
		n := min(per, len(blocks))
		out = append(out, blocks[:n])
		blocks = blocks[n:]
	}
	return out
}

// reportLine renders one line as mrkdwn; links caches thread permalinks
// (nil: no thread links).
func (s *Surface) reportLine(ctx context.Context, l bridge.ReportLine, links map[bridge.ThreadRef]string) string {
	var b strings.Builder
	if l.Marked {
		b.WriteString(l.Verdict.Mark() + " ")
	}
	if l.Label != "" {
		b.WriteString("*" + escapeInline(l.Label, 200) + "*")
		if l.Text != "" {
			b.WriteString(": ")
		}
	}
	b.WriteString(escapeText(l.Text))
	if !l.Thread.IsZero() && links != nil {
		b.WriteString(" · " + s.threadLink(ctx, l.Thread, links))
	}
	if l.Link != "" {
		if u := safeURL(l.Link); u != "" {
			b.WriteString(" · <" + u + "|seller centre>")
		}
	}
	if l.Rule != "" {
		b.WriteString(" _(" + escapeText(strings.ReplaceAll(l.Rule, "_", " ")) + ")_")
	}
	return b.String()
}

// threadLink links a thread by its permalink, or names it when Slack does
// not give one.
func (s *Surface) threadLink(ctx context.Context, t bridge.ThreadRef, cache map[bridge.ThreadRef]string) string {
	if l, ok := cache[t]; ok {
		return l
	}
	var permalink string
	err := s.do(ctx, call{op: "get permalink", method: methodPermalink, prio: prioLow, idempotent: true}, func(ctx context.Context) error {
		var err error
		permalink, err = s.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: t.Channel, Ts: t.ID})
		return err
	})
	l := "thread " + escapeCode(t.ID)
	if err == nil && permalink != "" {
		l = link(permalink, "open thread")
	} else if err != nil {
		s.log.Debug("no permalink for a report link", "channel", t.Channel, "err", err)
	}
	cache[t] = l
	return l
}

// packLines joins lines into chunks of at most limit characters, cutting a
// line only when it alone is too long.
func packLines(lines []string, limit int) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, l := range lines {
		if len([]rune(l)) > limit {
			flush()
			out = append(out, splitText(l, limit)...)
			continue
		}
		if cur.Len() > 0 && len([]rune(cur.String()))+1+len([]rune(l)) > limit {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(l)
	}
	flush()
	return out
}

// FindInspection looks through the channel's history since the given time
// for the summary message of the report with key (its metadata).
func (s *Surface) FindInspection(ctx context.Context, channel, key string, since time.Time) (bridge.ChatMessageRef, bool, error) {
	if channel == "" {
		channel = s.cfg.ReportChannel
	}
	oldest := ""
	if !since.IsZero() {
		oldest = strconv.FormatFloat(float64(since.UnixMicro())/1e6, 'f', 6, 64)
	}
	cursor := ""
	for {
		var resp *slack.GetConversationHistoryResponse
		err := s.do(ctx, call{op: "find report", method: methodHistory, channel: channel, prio: prioLow, idempotent: true}, func(ctx context.Context) error {
			var err error
			resp, err = s.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: channel, Cursor: cursor, Oldest: oldest, Limit: 200, IncludeAllMetadata: true,
			})
			return err
		})
		if err != nil {
			return bridge.ChatMessageRef{}, false, err
		}
		for _, m := range resp.Messages {
			if m.Metadata.EventType == metaReport && fmt.Sprint(m.Metadata.EventPayload["key"]) == key {
				return bridge.ChatMessageRef{Channel: channel, ID: m.Timestamp}, true, nil
			}
		}
		if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
			return bridge.ChatMessageRef{}, false, nil
		}
		cursor = resp.ResponseMetaData.NextCursor
	}
}
