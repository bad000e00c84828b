package telegram

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

// Listen runs the inbound side until ctx ends: it identifies the bot
// (getMe, retried with backoff while Telegram or the token fails), checks
// every configured chat and logs exactly which permission is missing
// (reported as surface health, not as an error: the bridge keeps running,
// commands keep working, and the check repeats every HealthCheckInterval
// until it passes), registers the commands, then long-polls getUpdates or
// sets the webhook. Connection health goes to h.SurfaceHealth on every poll
// outcome (polling) or webhook check (webhook).
func (s *Surface) Listen(ctx context.Context, h bridge.ChatHandler) error {
	if !s.listening.CompareAndSwap(false, true) {
		return errors.New("telegram: Listen is already running")
	}
	defer s.listening.Store(false)
	s.health.setHandler(h)
	me, ok := s.identify(ctx)
	if !ok {
		return nil
	}
	s.log.Info("connected to Telegram", "bot", me.Username, "mode", s.cfg.Mode)
	webhook := s.cfg.Mode == ModeWebhook
	l := newListener(ctx, h, me, webhook)
	s.checkAll(ctx, me)
	s.registerCommands(ctx)
	s.active.Store(l)

	var polling chan struct{}
	if webhook {
		s.setWebhook(ctx)
	} else {
		s.dropWebhook(ctx)
		polling = make(chan struct{})
		go func() {
			defer close(polling)
			s.bot.Start(ctx)
		}()
	}
	s.watch(ctx, webhook)

	s.active.Store(nil)
	if polling != nil {
		<-polling
	}
	l.close()
	return nil
}

// identify calls getMe until it succeeds or ctx ends.
func (s *Surface) identify(ctx context.Context) (*models.User, bool) {
	backoff := time.Second
	for {
		var me *models.User
		err := s.call(ctx, "get me", 0, func(ctx context.Context) error {
			var err error
			me, err = s.bot.GetMe(ctx)
			return err
		})
		if err == nil {
			s.health.connection(nil)
			return me, true
		}
		if ctx.Err() != nil {
			return nil, false
		}
		s.log.Error("cannot reach the Telegram Bot API", "err", err, "retry_in", backoff)
		s.health.connection(err)
		select {
		case <-ctx.Done():
			return nil, false
		case <-s.clock.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
	}
}

// dropWebhook removes a webhook left by webhook mode, which would make
// getUpdates fail with 409; pending updates are kept.
func (s *Surface) dropWebhook(ctx context.Context) {
	err := s.call(ctx, "delete webhook", 0, func(ctx context.Context) error {
		_, err := s.bot.DeleteWebhook(ctx, &bot.DeleteWebhookParams{})
		return err
	})
	if err != nil {
		s.log.Warn("could not remove a webhook before polling", "err", err)
	}
}

// setWebhook registers the webhook with the secret token, retrying until
// it succeeds or ctx ends.
func (s *Surface) setWebhook(ctx context.Context) {
	backoff := time.Second
	for {
		err := s.call(ctx, "set webhook", 0, func(ctx context.Context) error {
			_, err := s.bot.SetWebhook(ctx, &bot.SetWebhookParams{
				URL: s.cfg.WebhookURL, SecretToken: s.cfg.SecretToken, AllowedUpdates: allowedUpdates,
				MaxConnections: s.cfg.WebhookMaxConnections,
			})
			return err
		})
		if err == nil {
			s.health.connection(nil)
			s.webhookErrAt = s.webhookLastError(ctx)
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.log.Error("cannot set the webhook", "err", err, "retry_in", backoff)
		s.health.connection(err)
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
	}
}

// webhookLastError returns getWebhookInfo's last error date (0 if none or
// unknown).
func (s *Surface) webhookLastError(ctx context.Context) int {
	info, err := s.webhookInfo(ctx)
	if err != nil {
		return 0
	}
	return info.LastErrorDate
}

func (s *Surface) webhookInfo(ctx context.Context) (*models.WebhookInfo, error) {
	var info *models.WebhookInfo
	err := s.call(ctx, "get webhook info", 0, func(ctx context.Context) error {
		var err error
		info, err = s.bot.GetWebhookInfo(ctx)
		return err
	})
	return info, err
}

// watch repeats, every HealthCheckInterval until ctx ends, the checks of
// chats with a problem and, in webhook mode, Telegram's delivery status: an
// error newer than the last one seen means Telegram cannot reach the bridge.
func (s *Surface) watch(ctx context.Context, webhook bool) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(s.cfg.HealthCheckInterval):
		}
		for _, chat := range s.health.failingChats() {
			s.recheck(ctx, chat)
		}
		if !webhook {
			continue
		}
		info, err := s.webhookInfo(ctx)
		switch {
		case err != nil:
			s.health.connection(err)
		case info.URL != s.cfg.WebhookURL:
			s.log.Warn("the webhook was changed or removed elsewhere; setting it again")
			s.setWebhook(ctx)
		case info.LastErrorDate > s.webhookErrAt:
			s.webhookErrAt = info.LastErrorDate
			err := &bridge.PlatformError{Kind: bridge.KindTransient, Platform: platform, Op: "webhook delivery",
				Message: fmt.Sprintf("Telegram cannot deliver updates to %s: %s (%d pending)", s.cfg.WebhookURL, info.LastErrorMessage, info.PendingUpdateCount)}
			s.log.Error("webhook delivery failing", "err", err)
			s.health.connection(err)
		default:
			s.health.connection(nil)
		}
	}
}
