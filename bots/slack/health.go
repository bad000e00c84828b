package slack

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// health tracks what makes the surface unusable: the connection (socket or
// HTTP listener), the token, and channels the bot cannot post into. The
// handler hears every failure (the core counts them towards its threshold)
// and the first success after one.
//
// A broken channel also gets its own alert in the alerts channel naming the
// channel and the fix, edited to resolved when posting works again; when the
// alerts channel is the broken one, or the token is, the log is all there is.
type health struct {
	s *Surface

	mu           sync.Mutex
	transportUp  bool
	transportErr error
	// appAuthErr is the app-level token refused (Socket Mode); botAuthErr
	// the bot token refused (Web API). Each clears on its own success.
	appAuthErr   error
	botAuthErr   error
	broken       map[string]brokenChannel
	alerts       map[string]bridge.AlertRef
	reportedOK   bool
	reportedOnce bool
	// pending reports are delivered in order by runReporter, never under mu:
	// the handler may call back into the surface.
	pending []healthReport
	signal  chan struct{}
}

// brokenChannel is a channel's last refusal. It counts for brokenFor: the
// engine keeps retrying queued messages, which renews it while the channel
// stays broken, and a channel no longer used (re-routed stores) stops
// holding the surface down.
type brokenChannel struct {
	err *bridge.PlatformError
	at  time.Time
}

// brokenFor is how long a channel refusal keeps the surface unhealthy
// without being seen again.
const brokenFor = 15 * time.Minute

// channelMethods are the calls whose channel refusal means the bridge cannot
// do its job there (an ephemeral answer in a channel the bot was never in
// does not).
var channelMethods = map[string]bool{
	methodPostMessage: true,
	methodUpdate:      true,
	methodReactionAdd: true,
	methodReactionDel: true,
	methodReplies:     true,
}

type healthReport struct {
	ok  bool
	err error
}

func newHealth(s *Surface) *health {
	return &health{s: s, broken: map[string]brokenChannel{}, alerts: map[string]bridge.AlertRef{}, signal: make(chan struct{}, 1)}
}

// state returns whether the surface is fully usable and, if not, why.
func (h *health) stateLocked() (bool, error) {
	switch {
	case h.botAuthErr != nil:
		return false, h.botAuthErr
	case h.appAuthErr != nil:
		return false, h.appAuthErr
	case !h.transportUp:
		if h.transportErr != nil {
			return false, h.transportErr
		}
		return false, fmt.Errorf("slack: not connected")
	}
	now := h.s.clock.Now()
	var chans []string
	for ch, b := range h.broken {
		if now.Sub(b.at) > brokenFor {
			delete(h.broken, ch)
			continue
		}
		chans = append(chans, ch)
	}
	if len(chans) > 0 {
		sort.Strings(chans)
		return false, h.broken[chans[0]].err
	}
	return true, nil
}

// report tells the handler about the current state: always when it is bad
// (each failure counts), once when it turns good.
func (h *health) reportLocked() {
	ok, err := h.stateLocked()
	if ok && h.reportedOnce && h.reportedOK {
		return
	}
	if _, _, running := h.s.handler(); !running {
		return
	}
	h.reportedOK, h.reportedOnce = ok, true
	h.pending = append(h.pending, healthReport{ok, err})
	select {
	case h.signal <- struct{}{}:
	default:
	}
}

// runReporter delivers health reports to hd, in order, until ctx ends.
func (h *health) runReporter(ctx context.Context, hd bridge.ChatHandler) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.signal:
		}
		h.mu.Lock()
		batch := h.pending
		h.pending = nil
		h.mu.Unlock()
		for _, r := range batch {
			hd.SurfaceHealth(r.ok, r.err)
		}
	}
}

// transport records the connection's state.
func (h *health) transport(up bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.transportUp, h.transportErr = up, err
	if up {
		h.appAuthErr = nil
	}
	h.reportLocked()
}

// appAuth records that Slack refused the app-level token.
func (h *health) appAuth(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.appAuthErr = err
	h.reportLocked()
}

// botAuth records that Slack refused the bot token.
func (h *health) botAuth(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.botAuthErr = err
	h.reportLocked()
}

// succeeded clears failures a successful call disproves.
func (h *health) succeeded(channel string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	changed := h.botAuthErr != nil
	h.botAuthErr = nil
	var ref bridge.AlertRef
	var wasBroken, hadAlert bool
	if channel != "" {
		if _, wasBroken = h.broken[channel]; wasBroken {
			delete(h.broken, channel)
			changed = true
		}
		// The alert outlives an expired refusal: resolve it on the first success.
		if ref, hadAlert = h.alerts[channel]; hadAlert {
			delete(h.alerts, channel)
		}
	}
	if changed {
		h.reportLocked()
	}
	if wasBroken {
		h.s.log.Info("Slack channel usable again", "channel", channel)
	}
	if hadAlert && ref.ID != "" {
		h.s.goAsync(func() { h.s.channelRestoredAlert(channel, ref) })
	}
}

// failed records a classified failure of call c.
func (h *health) failed(c call, pe *bridge.PlatformError) {
	switch {
	case pe.Kind == bridge.KindAuth:
		h.s.log.Error("Slack rejected the token: the surface is down until it is fixed", "op", c.op, "code", pe.Code)
		h.botAuth(pe)
	case channelCodes[pe.Code] && c.channel != "" && channelMethods[c.method]:
		h.mu.Lock()
		_, known := h.broken[c.channel]
		h.broken[c.channel] = brokenChannel{err: pe, at: h.s.clock.Now()}
		h.reportLocked()
		h.mu.Unlock()
		if known {
			return
		}
		h.s.log.Error("Slack channel unusable: its messages stay queued", "channel", c.channel, "code", pe.Code, "op", c.op)
		if c.channel == h.s.cfg.AlertsChannel {
			h.s.log.Error("the alerts channel itself is unusable; admins are told only through this log", "channel", c.channel, "code", pe.Code)
			return
		}
		h.s.goAsync(func() { h.s.channelBrokenAlert(c.channel, pe) })
	}
}

// channelBrokenAlert posts the alert that names a broken channel.
func (s *Surface) channelBrokenAlert(channel string, pe *bridge.PlatformError) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ref, err := s.PostAlert(ctx, bridge.Alert{
		Severity: bridge.SeverityCritical,
		Title:    fmt.Sprintf("Slack channel %s cannot take messages (%s)", channel, pe.Code),
		Text:     channelFix(pe.Code) + " Buyer messages for it stay queued and are posted when it works again.",
	})
	if err != nil {
		s.log.Error("could not alert admins about a broken channel", "channel", channel, "err", err)
		return
	}
	s.health.mu.Lock()
	if _, still := s.health.broken[channel]; still {
		s.health.alerts[channel] = ref
		s.health.mu.Unlock()
		return
	}
	s.health.mu.Unlock()
	// It recovered while the alert was being posted.
	s.channelRestoredAlert(channel, ref)
}

// channelRestoredAlert edits a broken-channel alert to resolved.
func (s *Surface) channelRestoredAlert(channel string, ref bridge.AlertRef) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := s.UpdateAlert(ctx, ref, bridge.Alert{
		Severity: bridge.SeverityResolved,
		Title:    fmt.Sprintf("Slack channel %s works again", channel),
		Text:     "Queued buyer messages are being posted.",
	})
	if err != nil {
		s.log.Warn("could not update a broken-channel alert", "channel", channel, "err", err)
	}
}

func channelFix(code string) string {
	switch code {
	case "is_archived":
		return "The channel is archived: unarchive it, or route the stores elsewhere."
	case "not_in_channel":
		return "The bot is not a member: invite it with /invite @shopbridge."
	case "channel_not_found":
		return "The channel does not exist or the bot cannot see it: check the channel ID in the config and invite the bot."
	}
	return "Slack refuses posts to it."
}
