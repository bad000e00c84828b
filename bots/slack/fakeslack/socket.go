package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// socketHub is the fake Socket Mode endpoint: apps.connections.open hands
// out its URL, it says hello, delivers envelopes and collects acks.
type socketHub struct {
	s        *Server
	upgrader websocket.Upgrader

	mu          sync.Mutex
	conn        *websocket.Conn
	writeMu     sync.Mutex
	connections int
	seq         int
	acks        map[string]json.RawMessage
	changed     chan struct{}
	silent      bool
}

func newSocketHub(s *Server) *socketHub {
	return &socketHub{
		s: s, acks: map[string]json.RawMessage{}, changed: make(chan struct{}),
		// slack-go sends Origin: https://api.slack.com, which Slack accepts.
		upgrader: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
	}
}

func (h *socketHub) url() string {
	return "ws" + strings.TrimPrefix(h.s.srv.URL, "http") + "/socket"
}

func (h *socketHub) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *socketHub) serve(w http.ResponseWriter, r *http.Request) {
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	h.mu.Lock()
	if h.conn != nil {
		_ = h.conn.Close()
	}
	h.conn = conn
	h.connections++
	silent := h.silent
	h.notifyLocked()
	h.mu.Unlock()
	if !silent {
		h.write(conn, map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "AFAKE"}})
	}
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		if len(ack.Payload) == 0 {
			ack.Payload = json.RawMessage("null")
		}
		h.mu.Lock()
		h.acks[ack.EnvelopeID] = ack.Payload
		h.notifyLocked()
		h.mu.Unlock()
	}
}

func (h *socketHub) write(conn *websocket.Conn, v any) error {
	h.writeMu.Lock()
	defer h.writeMu.Unlock()
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return conn.WriteJSON(v)
}

func (h *socketHub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn != nil {
		_ = h.conn.Close()
		h.conn = nil
	}
}

// Connections is how many Socket Mode connections were opened.
func (s *Server) Connections() int {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	return s.sock.connections
}

// WaitConnections waits until at least n connections were opened.
func (s *Server) WaitConnections(ctx context.Context, n int) error {
	h := s.sock
	for {
		h.mu.Lock()
		if h.connections >= n {
			h.mu.Unlock()
			return nil
		}
		ch := h.changed
		h.mu.Unlock()
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d socket connections: %w", n, ctx.Err())
		case <-ch:
		}
	}
}

// SetSilent makes new connections skip the hello (a connection that goes
// quiet, for watchdog tests).
func (s *Server) SetSilent(silent bool) {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	s.sock.silent = silent
}

// DropSocket closes the current connection abruptly.
func (s *Server) DropSocket() { s.sock.closeAll() }

// Send delivers an envelope of type typ ("events_api", "slash_commands",
// "interactive") and returns its envelope ID.
func (s *Server) Send(typ string, payload any, retryAttempt int) (string, error) {
	h := s.sock
	h.mu.Lock()
	conn := h.conn
	h.seq++
	id := fmt.Sprintf("env-%d", h.seq)
	h.mu.Unlock()
	if conn == nil {
		return "", errors.New("fakeslack: no socket connection")
	}
	env := map[string]any{
		"envelope_id":              id,
		"type":                     typ,
		"payload":                  payload,
		"accepts_response_payload": typ != "events_api",
		"retry_attempt":            retryAttempt,
	}
	if retryAttempt > 0 {
		env["retry_reason"] = "timeout"
	}
	return id, h.write(conn, env)
}

// WaitAck waits for the ack of an envelope and returns its payload ("null"
// when the ack carried none).
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (json.RawMessage, error) {
	h := s.sock
	for {
		h.mu.Lock()
		p, ok := h.acks[envelopeID]
		ch := h.changed
		h.mu.Unlock()
		if ok {
			return p, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no ack for envelope %s: %w", envelopeID, ctx.Err())
		case <-ch:
		}
	}
}

// Acked reports whether an envelope was acknowledged.
func (s *Server) Acked(envelopeID string) bool {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	_, ok := s.sock.acks[envelopeID]
	return ok
}

// EventCallback builds an Events API event_callback payload.
func EventCallback(eventID string, event map[string]any) map[string]any {
	return map[string]any{
		"token":      "legacy-verification-token",
		"team_id":    TeamID,
		"api_app_id": "AFAKE",
		"type":       "event_callback",
		"event_id":   eventID,
		"event_time": 1700000000,
		"event":      event,
	}
}

// ThreadReply builds a `message` event of a person's thread reply.
func ThreadReply(channel, user, threadTS, ts, text string) map[string]any {
	return map[string]any{
		"type": "message", "channel": channel, "user": user, "text": text,
		"ts": ts, "thread_ts": threadTS, "event_ts": ts, "channel_type": "channel",
	}
}

// BlockAction builds a block_actions interaction payload for a button press.
func BlockAction(user, channel, messageTS, threadTS, actionID, value, responseURL string) map[string]any {
	container := map[string]any{"type": "message", "message_ts": messageTS, "channel_id": channel, "is_ephemeral": false}
	msg := map[string]any{"type": "message", "ts": messageTS}
	if threadTS != "" {
		container["thread_ts"] = threadTS
		msg["thread_ts"] = threadTS
	}
	return map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": user, "username": "user-" + user, "name": "user-" + user, "team_id": TeamID},
		"api_app_id":   "AFAKE",
		"team":         map[string]any{"id": TeamID},
		"container":    container,
		"channel":      map[string]any{"id": channel, "name": "inbox"},
		"message":      msg,
		"response_url": responseURL,
		"trigger_id":   "trigger",
		"actions": []map[string]any{{
			"action_id": actionID, "block_id": "blk", "type": "button", "value": value,
			"text": map[string]any{"type": "plain_text", "text": "Retry"}, "action_ts": "1700000000.1",
		}},
	}
}

// SlashCommand builds a slash command payload (Socket Mode) — the same
// fields HTTP mode sends form-encoded.
func SlashCommand(user, channel, text, responseURL string) map[string]string {
	return map[string]string{
		"token": "legacy", "team_id": TeamID, "team_domain": "fake", "channel_id": channel, "channel_name": "inbox",
		"user_id": user, "user_name": "user-" + user, "command": "/shopbridge", "text": text,
		"response_url": responseURL, "trigger_id": "trigger", "api_app_id": "AFAKE",
	}
}
