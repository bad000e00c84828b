package slack

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// HTTP-mode endpoints on the bridge's listener.
const (
	PathEvents        = "/slack/events"
	PathCommands      = "/slack/commands"
	PathInteractivity = "/slack/interactivity"
)

// maxBody bounds a Slack request body.
const maxBody = 1 << 20

// Endpoints of HTTP mode in refusal logs and metrics.
const (
	EndpointEvents        = "slack_events"
	EndpointCommands      = "slack_commands"
	EndpointInteractivity = "slack_interactivity"
)

func (s *Surface) registerRoutes(r bridge.Routes) {
	r.Handle(PathEvents, http.HandlerFunc(s.serveEvents))
	r.Handle(PathCommands, http.HandlerFunc(s.serveCommands))
	r.Handle(PathInteractivity, http.HandlerFunc(s.serveInteractivity))
}

// endpointOf names the endpoint of a request path for refusals.
func endpointOf(path string) string {
	switch path {
	case PathCommands:
		return EndpointCommands
	case PathInteractivity:
		return EndpointInteractivity
	}
	return EndpointEvents
}

// readSigned reads and verifies a request. It answers the request itself
// (405, 503 before Listen, 400/408/413 for a body that cannot be read, 401)
// and returns ok=false when it did. Refusals are counted and logged through
// bridge.Refusals: anyone can post to these URLs, so a flood of forgeries
// must not make a log line each.
func (s *Surface) readSigned(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	if _, _, running := s.handler(); !running {
		// Slack retries; by then the bridge is listening.
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return nil, false
	}
	endpoint := endpointOf(r.URL.Path)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		status, reason := bridge.BodyRefusal(err)
		s.refusals.Refuse(endpoint, reason, "remote", r.RemoteAddr)
		http.Error(w, http.StatusText(status), status)
		return nil, false
	}
	if err := verifySignature(s.cfg.SigningSecret, r.Header, body, s.clock.Now(), s.cfg.SignatureMaxAge); err != nil {
		s.refusals.Refuse(endpoint, refusalReason(err), "remote", r.RemoteAddr, "hint", "an unsigned or forged Slack request: "+err.Error())
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

// serveEvents acknowledges Events API callbacks at once and handles them
// in order afterwards; Slack's retries of an event are dropped by event_id.
func (s *Surface) serveEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readSigned(w, r)
	if !ok {
		return
	}
	var cb eventCallback
	if err := json.Unmarshal(body, &cb); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	switch cb.Type {
	case "url_verification":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": cb.Challenge})
		return
	case "event_callback":
	default:
		w.WriteHeader(http.StatusOK)
		return
	}
	if !s.events.first(cb.EventID) {
		s.log.Debug("dropped a redelivered Slack event", "event_id", cb.EventID, "retry", r.Header.Get(headerRetryNum))
		w.WriteHeader(http.StatusOK)
		return
	}
	if !s.enqueue(inboundEvent{eventID: cb.EventID, raw: body}) {
		s.events.forget(cb.EventID)
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// serveCommands answers a slash command within the ack timeout.
func (s *Surface) serveCommands(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readSigned(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	cmd := slack.SlashCommand{
		TeamID:      form.Get("team_id"),
		ChannelID:   form.Get("channel_id"),
		ChannelName: form.Get("channel_name"),
		UserID:      form.Get("user_id"),
		UserName:    form.Get("user_name"),
		Command:     form.Get("command"),
		Text:        form.Get("text"),
		ResponseURL: form.Get("response_url"),
		TriggerID:   form.Get("trigger_id"),
		APIAppID:    form.Get("api_app_id"),
	}
	h, ctx, running := s.handler()
	if !running {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	s.handleSlash(ctx, h, cmd, func(a commandAnswer) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(a)
	})
}

// serveInteractivity acknowledges button presses at once and handles them
// afterwards.
func (s *Surface) serveInteractivity(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readSigned(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	h, ctx, running := s.handler()
	if !running {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
	s.goAsync(func() { s.handleInteraction(ctx, h, cb) })
}
