package simulator

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// What the dialects share of the marketplaces' authorization: tokens
// issued, expired and revoked per shop, single-use authorization codes,
// and the authorization page's list of shops. Token formats, lifetimes and
// the token endpoints' wire shapes stay in each dialect's *_auth.go.

// TokenInfo is a shop's current token pair.
type TokenInfo struct {
	ShopID           string    `json:"shop_id"`
	AccessToken      string    `json:"access_token"`
	RefreshToken     string    `json:"refresh_token"`
	AccessExpiresAt  time.Time `json:"access_expires_at"`
	RefreshExpiresAt time.Time `json:"refresh_expires_at"`
	// Refreshes counts the refreshes since the shop was authorized.
	Refreshes int `json:"refreshes"`
}

type accessTokenInfo struct {
	shopID  string
	expires time.Time
	revoked bool
}

type refreshTokenInfo struct {
	shopID  string
	expires time.Time
	used    bool
	revoked bool
}

type authCode struct {
	shopID  string
	expires time.Time
	used    bool
}

// tokenBook is one dialect's tokens and authorization codes. It is guarded
// by the dialect's mutex (lock): the methods named …Locked expect it held,
// the others take it. Embedded in a dialect, it provides the dialect
// interface's tokens, expireAccess and revoke.
type tokenBook struct {
	lock    *sync.Mutex
	clock   bridge.Clock
	access  map[string]*accessTokenInfo
	refresh map[string]*refreshTokenInfo
	current map[string]TokenInfo // shop → latest pair
	codes   map[string]*authCode
}

func newTokenBook(lock *sync.Mutex, clock bridge.Clock) tokenBook {
	return tokenBook{
		lock:    lock,
		clock:   clock,
		access:  map[string]*accessTokenInfo{},
		refresh: map[string]*refreshTokenInfo{},
		current: map[string]TokenInfo{},
		codes:   map[string]*authCode{},
	}
}

// recordLocked records a newly issued pair as the shop's current one.
func (b *tokenBook) recordLocked(t TokenInfo) TokenInfo {
	b.access[t.AccessToken] = &accessTokenInfo{shopID: t.ShopID, expires: t.AccessExpiresAt}
	b.refresh[t.RefreshToken] = &refreshTokenInfo{shopID: t.ShopID, expires: t.RefreshExpiresAt}
	b.current[t.ShopID] = t
	return t
}

func (b *tokenBook) tokens(shopID string) (TokenInfo, bool) {
	b.lock.Lock()
	defer b.lock.Unlock()
	t, ok := b.current[shopID]
	return t, ok
}

// expireAccess makes every access token of the shop expired now.
func (b *tokenBook) expireAccess(shopID string) bool {
	b.lock.Lock()
	defer b.lock.Unlock()
	if _, ok := b.current[shopID]; !ok {
		return false
	}
	now := b.clock.Now()
	for _, a := range b.access {
		if a.shopID == shopID && a.expires.After(now) {
			a.expires = now
		}
	}
	t := b.current[shopID]
	t.AccessExpiresAt = now
	b.current[shopID] = t
	return true
}

// revoke revokes every token of the shop.
func (b *tokenBook) revoke(shopID string) bool {
	b.lock.Lock()
	defer b.lock.Unlock()
	if _, ok := b.current[shopID]; !ok {
		return false
	}
	for _, a := range b.access {
		if a.shopID == shopID {
			a.revoked = true
		}
	}
	for _, r := range b.refresh {
		if r.shopID == shopID {
			r.revoked = true
		}
	}
	return true
}

// addCode records an authorization code for the shop, valid for lifetime.
func (b *tokenBook) addCode(code, shopID string, lifetime time.Duration) string {
	b.lock.Lock()
	defer b.lock.Unlock()
	b.codes[code] = &authCode{shopID: shopID, expires: b.clock.Now().Add(lifetime)}
	return code
}

// codeLocked returns an authorization code that is known, unused and not
// expired.
func (b *tokenBook) codeLocked(code string) (*authCode, bool) {
	c, ok := b.codes[code]
	if !ok || c.used || !b.clock.Now().Before(c.expires) {
		return nil, false
	}
	return c, true
}

// redirectWith answers 302 to redirect with the query parameters kv (key,
// value, …) set: the authorization page sending the owner back.
func redirectWith(w http.ResponseWriter, r *http.Request, redirect *url.URL, kv ...string) {
	q := redirect.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	redirect.RawQuery = q.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// shopPicker is an authorization page without a shop: it lists the shops
// of platform ("" for every shop) as links to the same page with param
// set to the shop's ID.
func (s *Simulator) shopPicker(w http.ResponseWriter, r *http.Request, platform bridge.Platform, title, heading, param string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html><title>%s</title><h1>%s</h1><ul>\n", title, heading)
	for _, shop := range s.Shops() {
		if platform != "" && shop.Platform != platform {
			continue
		}
		link := *r.URL
		lq := link.Query()
		lq.Set(param, shop.ShopID)
		link.RawQuery = lq.Encode()
		fmt.Fprintf(w, "<li><a href=\"%s\">%s (%s, %s)</a></li>\n", html.EscapeString(link.RequestURI()),
			html.EscapeString(shop.Name), html.EscapeString(shop.Site), html.EscapeString(shop.ShopID))
	}
	fmt.Fprintln(w, "</ul>")
}
