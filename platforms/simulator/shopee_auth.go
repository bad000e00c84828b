package simulator

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

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

// authorize issues a fresh token pair for shopID, as if the shop owner had
// just authorized the app.
func (d *shopeeDialect) authorize(shopID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.issueLocked(shopID, 0)
}

func (d *shopeeDialect) issueLocked(shopID string, refreshes int) TokenInfo {
	now := d.s.clock.Now()
	t := TokenInfo{
		ShopID:           shopID,
		AccessToken:      d.s.randHex(16),
		RefreshToken:     d.s.randHex(16),
		AccessExpiresAt:  now.Add(d.s.cfg.AccessTokenLifetime),
		RefreshExpiresAt: now.Add(d.s.cfg.RefreshTokenLifetime),
		Refreshes:        refreshes,
	}
	d.access[t.AccessToken] = &accessTokenInfo{shopID: shopID, expires: t.AccessExpiresAt}
	d.refresh[t.RefreshToken] = &refreshTokenInfo{shopID: shopID, expires: t.RefreshExpiresAt}
	d.current[shopID] = t
	return t
}

// checkAccessToken returns the error code for a bad token.
func (d *shopeeDialect) checkAccessToken(token, shopID string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.access[token]
	switch {
	case !ok || a.revoked || a.shopID != shopID:
		return "error_auth", false
	case !d.s.clock.Now().Before(a.expires):
		return "invalid_acceess_token", false
	}
	return "", true
}

func (d *shopeeDialect) tokens(shopID string) (TokenInfo, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.current[shopID]
	return t, ok
}

func (d *shopeeDialect) expireAccess(shopID string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.current[shopID]; !ok {
		return false
	}
	now := d.s.clock.Now()
	for _, a := range d.access {
		if a.shopID == shopID && a.expires.After(now) {
			a.expires = now
		}
	}
	t := d.current[shopID]
	t.AccessExpiresAt = now
	d.current[shopID] = t
	return true
}

func (d *shopeeDialect) revoke(shopID string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.current[shopID]; !ok {
		return false
	}
	for _, a := range d.access {
		if a.shopID == shopID {
			a.revoked = true
		}
	}
	for _, r := range d.refresh {
		if r.shopID == shopID {
			r.revoked = true
		}
	}
	return true
}

func (d *shopeeDialect) authCode(shopID string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	code := d.s.randHex(16)
	d.codes[code] = &authCode{shopID: shopID, expires: d.s.clock.Now().Add(d.s.cfg.AuthCodeLifetime)}
	return code
}

// authPartner is the authorization page: with shop_id (a simulator-only
// parameter) it redirects at once with a code; without, it lists the shops.
func (d *shopeeDialect) authPartner(w http.ResponseWriter, r *http.Request, _ shopeeRequest) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect"))
	if err != nil || redirect.Scheme == "" || redirect.Host == "" {
		d.fail(w, 0, "error_param", "Invalid redirect.")
		return
	}
	if shopID := q.Get("shop_id"); shopID != "" {
		code, err := d.s.AuthorizationCode(shopID)
		if err != nil {
			d.fail(w, 0, "error_param", "Invalid shop_id.")
			return
		}
		rq := redirect.Query()
		rq.Set("code", code)
		rq.Set("shop_id", shopID)
		redirect.RawQuery = rq.Encode()
		http.Redirect(w, r, redirect.String(), http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintln(w, "<!doctype html><title>Authorize shopbridge (simulator)</title><h1>Choose a shop to authorize</h1><ul>")
	for _, shop := range d.s.Shops() {
		link := *r.URL
		lq := link.Query()
		lq.Set("shop_id", shop.ShopID)
		link.RawQuery = lq.Encode()
		fmt.Fprintf(w, "<li><a href=\"%s\">%s (%s, %s)</a></li>\n", html.EscapeString(link.RequestURI()),
			html.EscapeString(shop.Name), html.EscapeString(shop.Site), html.EscapeString(shop.ShopID))
	}
	fmt.Fprintln(w, "</ul>")
}

// tokenGet trades a code for the first tokens (auth/token/get).
func (d *shopeeDialect) tokenGet(w http.ResponseWriter, r *http.Request, req shopeeRequest) {
	var body struct {
		Code      string      `json:"code"`
		PartnerID json.Number `json:"partner_id"`
		ShopID    json.Number `json:"shop_id"`
	}
	if !d.decodeBody(w, req, &body) {
		return
	}
	d.mu.Lock()
	c, ok := d.codes[body.Code]
	if !ok || c.used || !d.s.clock.Now().Before(c.expires) || c.shopID != body.ShopID.String() {
		d.mu.Unlock()
		d.fail(w, 0, "error_param", "Invalid code.")
		return
	}
	c.used = true
	t := d.issueLocked(c.shopID, 0)
	d.mu.Unlock()
	sid, _ := strconv.ParseInt(t.ShopID, 10, 64)
	d.write(w, http.StatusOK, map[string]any{
		"request_id": d.s.randHex(16), "error": "", "message": "",
		"access_token": t.AccessToken, "refresh_token": t.RefreshToken,
		"expire_in":    int64(d.s.cfg.AccessTokenLifetime / time.Second),
		"shop_id_list": []int64{sid}, "merchant_id_list": []int64{},
	})
}

// accessTokenGet refreshes (auth/access_token/get): the refresh token is
// single-use and the response carries a new one.
func (d *shopeeDialect) accessTokenGet(w http.ResponseWriter, r *http.Request, req shopeeRequest) {
	var body struct {
		RefreshToken string      `json:"refresh_token"`
		PartnerID    json.Number `json:"partner_id"`
		ShopID       json.Number `json:"shop_id"`
	}
	if !d.decodeBody(w, req, &body) {
		return
	}
	d.mu.Lock()
	rt, ok := d.refresh[body.RefreshToken]
	switch {
	case !ok || rt.used || rt.revoked || rt.shopID != body.ShopID.String():
		d.mu.Unlock()
		d.fail(w, 0, "error_auth", msgInvalidRefresh)
		return
	case !d.s.clock.Now().Before(rt.expires):
		d.mu.Unlock()
		d.fail(w, 0, "refresh_token_expired", "Refresh token is expired.")
		return
	}
	rt.used = true
	t := d.issueLocked(rt.shopID, d.current[rt.shopID].Refreshes+1)
	d.mu.Unlock()
	sid, _ := strconv.ParseInt(t.ShopID, 10, 64)
	d.write(w, http.StatusOK, map[string]any{
		"request_id": d.s.randHex(16), "error": "", "message": "",
		"access_token": t.AccessToken, "refresh_token": t.RefreshToken,
		"expire_in":  int64(d.s.cfg.AccessTokenLifetime / time.Second),
		"partner_id": d.s.cfg.PartnerID, "shop_id": sid,
	})
}
