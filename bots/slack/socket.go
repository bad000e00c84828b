package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/shopbridge/shopbridge/bridge"
)

// errWatchdog ends a connection on which nothing arrived for too long.
var errWatchdog = errors.New("slack: socket silent for too long; reconnecting")

// activityConn records the time of every read, so the watchdog sees any
// frame, Slack's pings included.
type activityConn struct {
	net.Conn
	touch func()
}

func (c *activityConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.touch()
	}
	return n, err
}

func (s *Surface) touch() { s.activity.Store(s.clock.Now().UnixNano()) }

func (s *Surface) silentFor() time.Duration {
	return s.clock.Now().Sub(time.Unix(0, s.activity.Load()))
}

// dialer is the WebSocket dialer of Socket Mode, with reads observed.
func (s *Surface) dialer() *websocket.Dialer {
	nd := &net.Dialer{Timeout: s.cfg.RequestTimeout, KeepAlive: 30 * time.Second}
	return &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: s.cfg.RequestTimeout,
		WriteBufferSize:  32 * 1024,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := nd.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			s.touch()
			return &activityConn{Conn: c, touch: s.touch}, nil
		},
	}
}

// runSocket keeps a Socket Mode connection up until ctx ends: slack-go
// reconnects on Slack's disconnect requests and its own ping timer; on top,
// a watchdog on the injected clock replaces a connection that went silent,
// and failed connections are retried with backoff.
func (s *Surface) runSocket(ctx context.Context, h bridge.ChatHandler) {
	backoff := s.cfg.ReconnectBackoff
	for ctx.Err() == nil {
		err := s.socketOnce(ctx, h)
		if ctx.Err() != nil {
			return
		}
		switch {
		case errors.Is(err, errWatchdog):
			s.log.Warn("Socket Mode connection silent; reconnecting", "silent_for", s.silentFor().Round(time.Second))
			s.health.transport(false, &bridge.PlatformError{Kind: bridge.KindTransient, Platform: platformName, Op: "socket mode", Message: "connection silent; reconnecting"})
			backoff = s.cfg.ReconnectBackoff
			continue
		case err != nil:
			pe := classify("connect socket mode", err)
			if pe.Kind == bridge.KindAuth {
				s.log.Error("Slack refused the app-level token; Socket Mode is down", "code", pe.Code)
				s.health.appAuth(pe)
			} else {
				s.log.Warn("Socket Mode connection ended", "err", pe)
				s.health.transport(false, pe)
			}
		}
		if !bridge.Sleep(ctx, s.clock, backoff) {
			return
		}
		backoff = min(backoff*2, s.cfg.ReconnectBackoffMax)
	}
}

// socketOnce runs one socketmode client until it fails, ctx ends, or the
// watchdog fires.
func (s *Surface) socketOnce(ctx context.Context, h bridge.ChatHandler) error {
	connCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	client := socketmode.New(s.api,
		socketmode.OptionDialer(s.dialer()),
		socketmode.OptionPingInterval(s.cfg.PingInterval),
		socketmode.OptionLog(libLogger{s.log}),
	)
	runErr := make(chan error, 1)
	go func() { runErr <- client.RunContext(connCtx) }()

	var connected bool
	silent := make(chan struct{}, 1)
	go s.watchdog(connCtx, silent)
	s.touch()
	for {
		select {
		case <-ctx.Done():
			cancel()
			<-runErr
			return ctx.Err()
		case err := <-runErr:
			if err == nil {
				err = errors.New("socket mode client stopped")
			}
			return err
		case <-silent:
			cancel()
			<-runErr
			return errWatchdog
		case ev := <-client.Events:
			s.handleSocketEvent(connCtx, h, client, ev, &connected)
		}
	}
}

// watchdog signals silent when nothing arrived on the socket (no event, no
// ping, no byte) for WatchdogTimeout. It checks four times per timeout on
// the injected clock. A connection stuck connecting is replaced the same way.
func (s *Surface) watchdog(ctx context.Context, silent chan<- struct{}) {
	every := max(s.cfg.WatchdogTimeout/4, time.Millisecond)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(every):
		}
		if s.silentFor() > s.cfg.WatchdogTimeout {
			select {
			case silent <- struct{}{}:
			default:
			}
			return
		}
	}
}

func (s *Surface) handleSocketEvent(ctx context.Context, h bridge.ChatHandler, client *socketmode.Client, ev socketmode.Event, connected *bool) {
	switch ev.Type {
	case socketmode.EventTypeConnecting:
		s.log.Debug("connecting to Slack Socket Mode")
	case socketmode.EventTypeConnected, socketmode.EventTypeHello:
		s.touch()
		if !*connected {
			s.log.Info("connected to Slack Socket Mode")
		}
		*connected = true
		s.health.transport(true, nil)
	case socketmode.EventTypeConnectionError:
		*connected = false
		var err error = errors.New("connection error")
		if ce, ok := ev.Data.(*slack.ConnectionErrorEvent); ok && ce.ErrorObj != nil {
			err = ce.ErrorObj
		}
		pe := classify("connect socket mode", err)
		s.log.Warn("Socket Mode connection failed; slack-go retries", "err", pe)
		if pe.Kind == bridge.KindAuth {
			s.health.appAuth(pe)
		} else {
			s.health.transport(false, pe)
		}
	case socketmode.EventTypeInvalidAuth:
		*connected = false
		s.health.appAuth(&bridge.PlatformError{Kind: bridge.KindAuth, Platform: platformName, Op: "connect socket mode", Code: "invalid_auth", Message: "Slack refused the app-level token"})
	case socketmode.EventTypeDisconnect:
		*connected = false
		s.log.Info("Slack asked to reconnect the socket")
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		s.log.Warn("Socket Mode read or write failed", "type", string(ev.Type))
	case socketmode.EventTypeErrorBadMessage:
		// An envelope slack-go could not parse (an event type it does not
		// know) must still be acknowledged, or Slack redelivers it.
		if bm, ok := ev.Data.(*socketmode.ErrorBadMessage); ok {
			var env struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if json.Unmarshal(bm.Message, &env) == nil && env.EnvelopeID != "" {
				s.ack(ctx, client, env.EnvelopeID, nil)
			}
		}
	case socketmode.EventTypeEventsAPI:
		if ev.Request == nil {
			return
		}
		s.ack(ctx, client, ev.Request.EnvelopeID, nil)
		var cb eventCallback
		if err := json.Unmarshal(ev.Request.Payload, &cb); err != nil {
			s.log.Warn("unreadable Events API payload", "err", err)
			return
		}
		if !s.events.first(cb.EventID) {
			s.log.Debug("dropped a redelivered Slack event", "event_id", cb.EventID, "retry", ev.Request.RetryAttempt)
			return
		}
		if !s.enqueue(inboundEvent{eventID: cb.EventID, raw: ev.Request.Payload}) {
			// Acknowledged already; waiting keeps the event rather than dropping it.
			select {
			case s.inbound <- inboundEvent{eventID: cb.EventID, raw: ev.Request.Payload}:
			case <-ctx.Done():
			}
		}
	case socketmode.EventTypeSlashCommand:
		if ev.Request == nil {
			return
		}
		cmd, ok := ev.Data.(slack.SlashCommand)
		if !ok {
			s.ack(ctx, client, ev.Request.EnvelopeID, nil)
			return
		}
		envelope := ev.Request.EnvelopeID
		lctx := s.listenContext(ctx)
		s.goAsync(func() {
			s.handleSlash(lctx, h, cmd, func(a commandAnswer) { s.ack(ctx, client, envelope, a) })
		})
	case socketmode.EventTypeInteractive:
		if ev.Request == nil {
			return
		}
		s.ack(ctx, client, ev.Request.EnvelopeID, nil)
		if cb, ok := ev.Data.(slack.InteractionCallback); ok {
			lctx := s.listenContext(ctx)
			s.goAsync(func() { s.handleInteraction(lctx, h, cb) })
		}
	}
}

// listenContext is the context of the running Listen (work outlives one
// socket connection), or fallback.
func (s *Surface) listenContext(fallback context.Context) context.Context {
	if _, ctx, ok := s.handler(); ok {
		return ctx
	}
	return fallback
}

// ack acknowledges an envelope, with an optional response payload.
func (s *Surface) ack(ctx context.Context, client *socketmode.Client, envelopeID string, payload any) {
	if err := client.AckCtx(ctx, envelopeID, payload); err != nil {
		s.log.Warn("could not acknowledge a Socket Mode envelope", "envelope", envelopeID, "err", err)
	}
}
