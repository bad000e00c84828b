package telegram

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"

	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

// maxUpdate bounds one webhook request body.
const maxUpdate = 4 << 20

// WebhookEndpoint names the webhook in refusal logs and metrics.
const WebhookEndpoint = "telegram_webhook"

// WebhookHandler receives Telegram's webhook requests. The secret token
// header is compared in constant time (401 on mismatch: the library's own
// handler compares with != and answers 200); refusals are counted and
// logged through bridge.Refusals, so a flood of forgeries makes a count,
// not a line each. A body that cannot be read is answered 413 when too
// large, 408 when too slow. Until Listen runs, and after
// it ends, it answers 503 so Telegram keeps the update and delivers it
// later. An agent reply the bridge could not take answers 500, which makes
// Telegram deliver it again.
func (s *Surface) WebhookHandler() http.Handler {
	want := sha256.Sum256([]byte(s.cfg.SecretToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := sha256.Sum256([]byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token")))
		switch {
		case s.cfg.SecretToken == "":
			s.refusals.Refuse(WebhookEndpoint, "not_configured", "hint", "telegram.secret_token is not set, so webhook requests cannot be verified")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		case subtle.ConstantTimeCompare(got[:], want[:]) != 1:
			s.refusals.Refuse(WebhookEndpoint, "bad_secret", "remote", r.RemoteAddr, "hint", "webhook request with a wrong secret token")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		l := s.active.Load()
		if l == nil || !l.begin() {
			w.Header().Set("Retry-After", "5")
			http.Error(w, "not listening yet", http.StatusServiceUnavailable)
			return
		}
		defer l.end()
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdate))
		if err != nil {
			status, reason := bridge.BodyRefusal(err)
			s.refusals.Refuse(WebhookEndpoint, reason, "remote", r.RemoteAddr)
			http.Error(w, http.StatusText(status), status)
			return
		}
		var u models.Update
		if err := json.Unmarshal(body, &u); err != nil {
			http.Error(w, "not an update", http.StatusBadRequest)
			return
		}
		if err := s.dispatch(l, &u); err != nil {
			s.log.Error("webhook update not handled; Telegram will deliver it again", "update", u.ID, "err", err)
			http.Error(w, "not handled", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
