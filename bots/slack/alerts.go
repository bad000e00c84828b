package slack

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

func severityIcon(s bridge.AlertSeverity) string {
	switch s {
	case bridge.SeverityCritical:
		return ":red_circle:"
	case bridge.SeverityWarning:
		return ":warning:"
	case bridge.SeverityResolved:
		return ":large_green_circle:"
	}
	return ":information_source:"
}

// actionIDSep separates an action's ID from the suffix that keeps action IDs
// unique within one message (Slack refuses duplicates).
const actionIDSep = "#"

// baseActionID strips the uniqueness suffix from a pressed button's action ID.
func baseActionID(id string) string {
	base, _, _ := strings.Cut(id, actionIDSep)
	return base
}

// alertBlocks renders an alert: icon and title, text, stores, buttons.
func alertBlocks(a bridge.Alert, limit int) ([]slack.Block, string) {
	title := escapeInline(a.Title, 200)
	blocks := []slack.Block{section(severityIcon(a.Severity) + " *" + title + "*")}
	if strings.TrimSpace(a.Text) != "" {
		for _, chunk := range splitText(escapeText(a.Text), limit) {
			blocks = append(blocks, section(chunk))
		}
	}
	if len(a.Stores) > 0 {
		names := make([]string, len(a.Stores))
		for i, s := range a.Stores {
			names[i] = "`" + escapeCode(string(s)) + "`"
		}
		blocks = append(blocks, contextLine("Stores: "+strings.Join(names, ", ")))
	}
	if len(a.Actions) > 0 {
		seen := map[string]int{}
		var buttons []slack.BlockElement
		for _, act := range a.Actions {
			id := act.ID
			if n := seen[act.ID]; n > 0 {
				id = fmt.Sprintf("%s%s%d", act.ID, actionIDSep, n)
			}
			seen[act.ID]++
			label := act.Label
			if label == "" {
				label = act.ID
			}
			btn := slack.NewButtonBlockElement(id, act.Value, slack.NewTextBlockObject(slack.PlainTextType, truncate(label, 75), false, false))
			if len(buttons) == 0 {
				btn = btn.WithStyle(slack.StylePrimary)
			}
			buttons = append(buttons, btn)
		}
		blocks = append(blocks, slack.NewActionBlock("alert_actions", buttons...))
	}
	return blocks, escapeText(truncate(a.Title+" "+a.Text, 300))
}

// PostAlert posts an alert to the alerts channel. Alerts jump the queue of
// buyer messages.
func (s *Surface) PostAlert(ctx context.Context, a bridge.Alert) (bridge.AlertRef, error) {
	channel := s.cfg.AlertsChannel
	blocks, text := alertBlocks(a, s.cfg.TextLimit)
	var ch, ts string
	err := s.do(ctx, call{op: "post alert", method: methodPostMessage, channel: channel, prio: prioUrgent}, func(ctx context.Context) error {
		var err error
		ch, ts, err = s.api.PostMessageContext(ctx, channel, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false), slack.MsgOptionDisableLinkUnfurl())
		return err
	})
	if err != nil {
		return bridge.AlertRef{}, err
	}
	if ch == "" {
		ch = channel
	}
	return bridge.AlertRef{Channel: ch, ID: ts}, nil
}

// UpdateAlert edits a posted alert in place (chat.update); buttons follow the
// alert's Actions, so a resolved alert loses its Retry button.
func (s *Surface) UpdateAlert(ctx context.Context, ref bridge.AlertRef, a bridge.Alert) error {
	blocks, text := alertBlocks(a, s.cfg.TextLimit)
	return s.do(ctx, call{op: "update alert", method: methodUpdate, channel: ref.Channel, prio: prioUrgent, idempotent: true}, func(ctx context.Context) error {
		_, _, _, err := s.api.UpdateMessageContext(ctx, ref.Channel, ref.ID, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false))
		return err
	})
}

// Notify answers one user privately with chat.postEphemeral, in the thread
// when one is given.
func (s *Surface) Notify(ctx context.Context, n bridge.Notice) error {
	channel := n.Channel
	if channel == "" {
		channel = n.Thread.Channel
	}
	if channel == "" {
		channel = s.cfg.InboxChannel
	}
	opts := []slack.MsgOption{slack.MsgOptionText(escapeText(n.Text), false)}
	if n.Thread.ID != "" && n.Thread.Channel == channel {
		opts = append(opts, slack.MsgOptionTS(n.Thread.ID))
	}
	return s.do(ctx, call{op: "notify user", method: methodPostEphemeral, channel: channel, prio: prioUrgent}, func(ctx context.Context) error {
		_, err := s.api.PostEphemeralContext(ctx, channel, n.UserID, opts...)
		return err
	})
}

// PostReport posts a report (for example the daily inspection report) to the
// report channel. It is an optional capability beyond bridge.Chat.
func (s *Surface) PostReport(ctx context.Context, title, text string) (bridge.ChatMessageRef, error) {
	channel := s.cfg.ReportChannel
	blocks := []slack.Block{section(":clipboard: *" + escapeInline(title, 200) + "*")}
	for _, chunk := range splitText(escapeText(text), s.cfg.TextLimit) {
		blocks = append(blocks, section(chunk))
	}
	var ch, ts string
	var first bridge.ChatMessageRef
	per := s.cfg.MaxBlocks
	for i := 0; i < len(blocks); i += per {
		part := blocks[i:min(i+per, len(blocks))]
		err := s.do(ctx, call{op: "post report", method: methodPostMessage, channel: channel, prio: prioLow}, func(ctx context.Context) error {
			var err error
			ch, ts, err = s.api.PostMessageContext(ctx, channel, slack.MsgOptionBlocks(part...), slack.MsgOptionText(escapeText(truncate(title, 200)), false), slack.MsgOptionDisableLinkUnfurl())
			return err
		})
		if err != nil {
			return first, err
		}
		if first.IsZero() {
			if ch == "" {
				ch = channel
			}
			first = bridge.ChatMessageRef{Channel: ch, ID: ts}
		}
	}
	return first, nil
}
