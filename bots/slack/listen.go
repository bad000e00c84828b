package slack

import (
	"context"
	"errors"
	"sync"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// Listen runs the inbound side until ctx ends: the Socket Mode connection
// (socket mode) or the HTTP endpoints registered by New (http mode), the
// in-order handler of events, and health reports to h. It returns nil on
// a clean stop, after the work it acknowledged has finished.
func (s *Surface) Listen(ctx context.Context, h bridge.ChatHandler) error {
	if h == nil {
		return errors.New("slack: Listen needs a handler")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !s.listen.CompareAndSwap(nil, &listener{ctx: ctx, h: h}) {
		return errors.New("slack: already listening")
	}
	s.async.open()
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		s.listen.Store(nil)
		s.async.closeAndWait()
	}()

	wg.Go(func() { s.health.runReporter(ctx, h) })
	wg.Go(func() { s.runInbound(ctx, h) })
	wg.Go(func() { s.identify(ctx) })

	switch s.cfg.Mode {
	case ModeSocket:
		s.log.Info("Slack surface listening over Socket Mode")
		s.runSocket(ctx, h)
	default:
		s.log.Info("Slack surface listening over HTTP", "events", PathEvents, "commands", PathCommands, "interactivity", PathInteractivity)
		<-ctx.Done()
	}
	return nil
}

// identify learns the bot's own user and bot ID (to skip its own messages)
// with auth.test, retrying with backoff. In HTTP mode a working token is what
// "connected" means.
func (s *Surface) identify(ctx context.Context) {
	backoff := s.cfg.ReconnectBackoff
	for {
		var resp *slack.AuthTestResponse
		err := s.do(ctx, call{op: "check token", method: methodAuthTest, prio: prioUrgent, idempotent: true}, func(ctx context.Context) error {
			var err error
			resp, err = s.api.AuthTestContext(ctx)
			return err
		})
		if err == nil {
			s.identity.Store(&identity{UserID: resp.UserID, BotID: resp.BotID, TeamID: resp.TeamID, URL: resp.URL})
			s.log.Info("Slack token accepted", "team", resp.TeamID, "bot_user", resp.UserID)
			if s.cfg.Mode == ModeHTTP {
				s.health.transport(true, nil)
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		if s.cfg.Mode == ModeHTTP && bridge.Classify(err) != bridge.KindAuth {
			s.health.transport(false, err)
		}
		s.log.Warn("could not check the Slack token; retrying", "err", err)
		if !bridge.Sleep(ctx, s.clock, backoff) {
			return
		}
		backoff = min(backoff*2, s.cfg.ReconnectBackoffMax)
	}
}
