package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
)

// RegisterRoutes registers the authorization callback,
// GET /auth/{platform}/callback, on the bridge's listener.
func (a *Flow) RegisterRoutes(r bridge.Routes) {
	r.Handle("GET /auth/{platform}/callback", http.HandlerFunc(a.serveCallback))
}

func (a *Flow) serveCallback(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("platform")
	if p == "" { // a router without path patterns
		p = strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/auth/"), "/callback")
	}
	res, err := a.Callback(r.Context(), bridge.Platform(p), r.URL.Query())
	// The page's URL carries the code and the state: keep it out of referrers and caches.
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	switch {
	case err == nil:
		until := ""
		if !res.Tokens.AccessExpiresAt.IsZero() {
			until = " The bridge keeps them fresh from now on."
		}
		writeAuthPage(w, http.StatusOK, "Store authorized",
			fmt.Sprintf("shopbridge saved new tokens for %s.%s You can close this page.", res.Store.Label(), until))
	case errors.Is(err, ErrInvalidState):
		writeAuthPage(w, http.StatusBadRequest, "This authorization link is not valid any more",
			"It expired or was already used. Ask an admin to run /shopbridge store update for a new link.")
	case errors.Is(err, ErrShopMismatch):
		writeAuthPage(w, http.StatusBadRequest, "Wrong shop", bridge.ReasonOf(err)+" Ask an admin for a new link and log in as the owner of that shop.")
	case errors.Is(err, ErrUnknownStore):
		writeAuthPage(w, http.StatusNotFound, "Unknown store", "This bridge has no such store any more. Ask an admin to refresh the store list.")
	default:
		writeAuthPage(w, http.StatusBadGateway, "Authorization failed", bridge.ReasonOf(err)+" Ask an admin to run /shopbridge store update again.")
	}
}

func writeAuthPage(w http.ResponseWriter, status int, title, text string) {
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%s — shopbridge</title>"+
		"<style>body{font-family:sans-serif;max-width:36em;margin:4em auto;padding:0 1em}</style></head>\n"+
		"<body><h1>%s</h1><p>%s</p></body></html>\n", html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
}

// Callback completes an authorization from the platform's redirect query
// (store, state, code and, on Shopee, shop_id): the state token must be
// known, unused and unexpired and name this store and platform; the shop
// must be the store's; the code is exchanged for tokens, which the
// marketplace client saves. The result is recorded, audited and confirmed
// in chat. Errors wrap ErrInvalidState, ErrShopMismatch, ErrUnknownStore or
// the exchange's classified error, and carry no secret.
func (a *Flow) Callback(ctx context.Context, p bridge.Platform, q url.Values) (Result, error) {
	id := bridge.StoreID(q.Get("store"))
	st, err := a.consumeState(ctx, q.Get("state"), id, p)
	if id == "" {
		id = st.Store
	}
	if err != nil {
		// No alert: anyone can call this URL; only the log hears about it,
		// once per kind and then as counts (a flood of forged callbacks).
		if errors.Is(err, ErrInvalidState) && a.refusals != nil {
			a.refusals.Refuse(CallbackEndpoint, "invalid_state", "store", string(id), "platform", string(p))
		} else {
			a.log.Warn("authorization callback refused", "store", string(id), "platform", string(p), "err", err)
		}
		return Result{}, err
	}
	s, ok := a.store(id)
	if !ok {
		return a.finish(ctx, bridge.Store{ID: id, Platform: p}, st, bridge.Tokens{}, ErrUnknownStore)
	}
	code := q.Get("code")
	if code == "" {
		return a.finish(ctx, s, st, bridge.Tokens{}, errors.New("the platform sent back no authorization code (was the authorization cancelled?)"))
	}
	if shop := q.Get("shop_id"); shop != "" && shop != s.ShopID {
		return a.finish(ctx, s, st, bridge.Tokens{}, fmt.Errorf("%w: the shop owner approved shop %s, but store %s is shop %s", ErrShopMismatch, shop, s.ID, s.ShopID))
	}
	az, err := a.authorizer(s)
	if err != nil {
		return a.finish(ctx, s, st, bridge.Tokens{}, err)
	}
	t, err := az.ExchangeCode(ctx, s, code)
	return a.finish(ctx, s, st, t, err)
}

// finish records, audits and announces a callback's outcome.
func (a *Flow) finish(ctx context.Context, s bridge.Store, st bridge.AuthRequest, t bridge.Tokens, err error) (Result, error) {
	ctx = context.WithoutCancel(ctx)
	res := Result{Store: s, OK: err == nil, Tokens: t, Err: err}
	var result string
	if err != nil {
		result = "authorization failed: " + bridge.ReasonOf(err)
		a.log.Warn("store authorization failed", "store", string(s.ID), "err", err)
		a.recordAttempt(ctx, s, false, result)
		a.alert(ctx, bridge.Alert{Severity: bridge.SeverityWarning, Title: "Store authorization failed: " + s.Label(), Stores: []bridge.StoreID{s.ID},
			Text: fmt.Sprintf("%s could not be authorized: %s\nRun `/shopbridge store update %s` for a new link.", s.Label(), bridge.ReasonOf(err), s.ID)})
	} else {
		until := "unknown"
		if !t.AccessExpiresAt.IsZero() {
			until = t.AccessExpiresAt.UTC().Format("2006-01-02 15:04 MST")
		}
		result = "authorized; access token valid until " + until
		a.log.Info("store authorized", "store", string(s.ID), "requested_by", st.By.UserID)
		a.recordAttempt(ctx, s, true, "authorized by the shop owner")
		a.clearNeedsUpdate(ctx, s, "authorized again by the shop owner")
		by := ""
		if name := cmp.Or(st.By.UserName, st.By.UserID); name != "" {
			by = " (requested by " + name + ")"
		}
		a.alert(ctx, bridge.Alert{Severity: bridge.SeverityInfo, Title: "Store authorized: " + s.Label(), Stores: []bridge.StoreID{s.ID},
			Text: fmt.Sprintf("The shop owner approved %s%s: new tokens saved, the access token is valid until %s.", s.Label(), by, until)})
		a.Wake()
	}
	if aerr := a.state.RecordAudit(ctx, bridge.AuditEntry{
		At: a.clock.Now(), Surface: "http", UserID: st.By.UserID, UserName: st.By.UserName,
		Command: "store authorize " + string(s.ID) + " (callback)", OK: err == nil, Result: result,
	}); aerr != nil {
		a.log.Error("could not record audit entry", "store", string(s.ID), "err", aerr)
	}
	if a.onResult != nil {
		a.onResult(res)
	}
	return res, err
}

func (a *Flow) alert(ctx context.Context, al bridge.Alert) {
	if a.chat == nil {
		return
	}
	if _, err := a.chat.PostAlert(ctx, al); err != nil {
		a.log.Warn("could not post to the alerts channel", "title", al.Title, "err", err)
	}
}

// CallbackEndpoint names the authorization callback in refusal logs and
// in shopbridge_refused_requests_total.
const CallbackEndpoint = "auth_callback"
