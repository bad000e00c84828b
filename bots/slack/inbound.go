package slack

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// inboundQueue bounds Events API callbacks acknowledged but not yet handled.
const inboundQueue = 1024

// agentReplyAttempts is how often a reply the core could not take (its
// state briefly unavailable) is offered again before the agent is told.
const agentReplyAttempts = 4

// inboundEvent is one acknowledged Events API callback.
type inboundEvent struct {
	eventID string
	raw     json.RawMessage
}

// eventCallback is the outer Events API envelope.
type eventCallback struct {
	Type      string          `json:"type"`
	EventID   string          `json:"event_id"`
	EventTime int64           `json:"event_time"`
	Challenge string          `json:"challenge"`
	Event     json.RawMessage `json:"event"`
}

// messageEvent is the part of a `message` event the surface reads.
type messageEvent struct {
	Type            string        `json:"type"`
	Subtype         string        `json:"subtype"`
	Channel         string        `json:"channel"`
	User            string        `json:"user"`
	BotID           string        `json:"bot_id"`
	Text            string        `json:"text"`
	TS              string        `json:"ts"`
	ThreadTS        string        `json:"thread_ts"`
	DeletedTS       string        `json:"deleted_ts"`
	Hidden          bool          `json:"hidden"`
	Files           []struct{}    `json:"files"`
	Message         *messageEvent `json:"message"`
	PreviousMessage *messageEvent `json:"previous_message"`
}

// enqueue accepts an acknowledged callback for in-order handling. It
// reports false when the queue is full (HTTP mode then answers 503 and
// Slack retries).
func (s *Surface) enqueue(ev inboundEvent) bool {
	select {
	case s.inbound <- ev:
		return true
	default:
		return false
	}
}

// runInbound handles callbacks one at a time, in arrival order, until ctx ends.
func (s *Surface) runInbound(ctx context.Context, h bridge.ChatHandler) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-s.inbound:
			s.handleCallback(ctx, h, ev)
		}
	}
}

func (s *Surface) handleCallback(ctx context.Context, h bridge.ChatHandler, ev inboundEvent) {
	var cb eventCallback
	if err := json.Unmarshal(ev.raw, &cb); err != nil {
		s.log.Warn("unreadable Events API callback", "err", err)
		return
	}
	if cb.Type != "event_callback" {
		return
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(cb.Event, &head); err != nil {
		s.log.Warn("unreadable Events API event", "event_id", cb.EventID, "err", err)
		return
	}
	if head.Type != "message" {
		return
	}
	var m messageEvent
	if err := json.Unmarshal(cb.Event, &m); err != nil {
		s.log.Warn("unreadable message event", "event_id", cb.EventID, "err", err)
		return
	}
	s.handleMessage(ctx, h, m)
}

// fromSelfOrBot reports whether a message was written by a bot (including
// this one) rather than a person.
func (s *Surface) fromSelfOrBot(m *messageEvent) bool {
	if m.BotID != "" || m.User == "" {
		return true
	}
	if id := s.identity.Load(); id != nil && (m.User == id.UserID || (id.BotID != "" && m.BotID == id.BotID)) {
		return true
	}
	return false
}

func (s *Surface) handleMessage(ctx context.Context, h bridge.ChatHandler, m messageEvent) {
	switch m.Subtype {
	case "", "file_share", "thread_broadcast":
		// A person's message; thread_broadcast is a thread reply also sent to
		// the channel, still an answer to the buyer.
	case "message_changed":
		s.handleEdit(ctx, m)
		return
	case "message_deleted":
		if m.DeletedTS != "" {
			s.threads.markGone(bridge.ThreadRef{Channel: m.Channel, ID: m.DeletedTS})
		}
		return
	default:
		return
	}
	if s.fromSelfOrBot(&m) || m.ThreadTS == "" || m.ThreadTS == m.TS || m.Channel == "" {
		return
	}
	if !s.msgs.first(m.Channel + "/" + m.TS) {
		return
	}
	text := plainText(m.Text, func(id string) string { return s.userName(ctx, id) })
	ref := bridge.ChatMessageRef{Channel: m.Channel, ID: m.TS}
	thread := bridge.ThreadRef{Channel: m.Channel, ID: m.ThreadTS}
	if strings.TrimSpace(text) == "" {
		if len(m.Files) > 0 {
			s.notifyQuietly(ctx, bridge.Notice{Thread: thread, Channel: m.Channel, UserID: m.User,
				Text: "Files are not sent to the buyer: only text is. Describe it in words, or send it from Seller Centre."})
		}
		return
	}
	msg := bridge.AgentMessage{
		Thread:   thread,
		Message:  ref,
		UserID:   m.User,
		UserName: s.userName(ctx, m.User),
		Text:     text,
		At:       tsTime(m.TS),
	}
	backoff := s.cfg.Pacing.RetryBackoff
	for attempt := 1; ; attempt++ {
		err := h.AgentReply(ctx, msg)
		if err == nil {
			return
		}
		if attempt >= agentReplyAttempts || ctx.Err() != nil {
			s.log.Error("the bridge could not take an agent's reply", "channel", m.Channel, "ts", m.TS, "err", err)
			s.notifyQuietly(ctx, bridge.Notice{Thread: thread, Channel: m.Channel, UserID: m.User,
				Text: "Your reply could not be queued for the buyer (" + bridge.ReasonOf(err) + "). Please send it again."})
			return
		}
		s.log.Warn("the bridge could not take an agent's reply; retrying", "attempt", attempt, "err", err)
		if !bridge.Sleep(ctx, s.clock, backoff) {
			return
		}
		backoff *= 2
	}
}

// handleEdit answers an edit of a reply the bridge already took: the buyer
// got the original, the edit goes nowhere. Edits Slack makes itself (link
// previews) keep the text and are ignored; a root replaced by a tombstone
// means the thread's root was deleted.
func (s *Surface) handleEdit(ctx context.Context, m messageEvent) {
	in := m.Message
	if in == nil {
		return
	}
	if in.Subtype == "tombstone" {
		s.threads.markGone(bridge.ThreadRef{Channel: m.Channel, ID: in.TS})
		return
	}
	if s.fromSelfOrBot(in) {
		return
	}
	if m.PreviousMessage != nil && m.PreviousMessage.Text == in.Text {
		return
	}
	ref := bridge.ChatMessageRef{Channel: m.Channel, ID: in.TS}
	if !s.replies.wasTaken(ref) {
		return
	}
	if !s.msgs.first("edit/" + m.Channel + "/" + in.TS + "/" + m.TS) {
		return
	}
	thread := bridge.ThreadRef{Channel: m.Channel, ID: in.ThreadTS}
	s.notifyQuietly(ctx, bridge.Notice{Thread: thread, Channel: m.Channel, UserID: in.User, Text: TextEditNotSent})
}

// TextEditNotSent is the ephemeral answer to an edited reply.
const TextEditNotSent = "Edits are not sent to the buyer. The buyer has the original reply; send a new message to correct it."

// notifyQuietly sends an ephemeral notice and only logs a failure.
func (s *Surface) notifyQuietly(ctx context.Context, n bridge.Notice) {
	if err := s.Notify(ctx, n); err != nil {
		s.log.Warn("could not send an ephemeral notice", "user", n.UserID, "err", err)
	}
}

// tsTime converts a Slack ts ("1700000000.000100") to a time.
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}
	}
	var us int64
	if frac != "" {
		frac = (frac + "000000")[:6]
		us, _ = strconv.ParseInt(frac, 10, 64)
	}
	return time.Unix(s, us*1000).UTC()
}
