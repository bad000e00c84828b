package simulator

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"time"
)

// Tokens, ciphers and the authorization flow of the TikTok dialect [DOC
// TT-AUTH]: GET /api/v2/token/get and /api/v2/token/refresh with app_key
// and app_secret in the query (not signed), both *_expire_in absolute Unix
// timestamps; Get Authorized Shops gives each shop's cipher.

// authorize issues a fresh token pair (and a cipher) for a new shop.
func (d *tiktokDialect) authorize(shopID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.ciphers[shopID]; !ok {
		c := "ROW_" + d.s.randHex(12)
		d.ciphers[shopID], d.byCipher[c] = c, shopID
	}
	d.issueLocked(shopID, 0)
}

func (d *tiktokDialect) issueLocked(shopID string, refreshes int) TokenInfo {
	now := d.s.clock.Now()
	return d.recordLocked(TokenInfo{
		ShopID:           shopID,
		AccessToken:      "TTP_" + d.s.randHex(16),
		RefreshToken:     "TTP_" + d.s.randHex(16),
		AccessExpiresAt:  now.Add(d.cfg.AccessTokenLifetime).Truncate(time.Second),
		RefreshExpiresAt: now.Add(d.cfg.RefreshTokenLifetime).Truncate(time.Second),
		Refreshes:        refreshes,
	})
}

func (d *tiktokDialect) authCode(shopID string) string {
	return d.addCode("TTP_"+d.s.randHex(11), shopID, d.config().AuthCodeLifetime)
}

// TikTokShopCipher returns the shop's shop_cipher.
func (s *Simulator) TikTokShopCipher(shopID string) string {
	d := s.tiktok()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ciphers[shopID]
}

// RotateTikTokShopCipher gives the shop a new cipher (the old one is then
// refused with 101000), as a client's cached cipher going stale.
func (s *Simulator) RotateTikTokShopCipher(shopID string) string {
	d := s.tiktok()
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.ciphers[shopID]; ok {
		delete(d.byCipher, old)
	}
	c := "ROW_" + s.randHex(12)
	d.ciphers[shopID], d.byCipher[c] = c, shopID
	return c
}

// checkApp verifies the auth host's app_key and app_secret.
func (d *tiktokDialect) checkApp(w http.ResponseWriter, q url.Values) bool {
	cfg := d.config()
	if q.Get("app_key") != cfg.AppKey || !hmacEqualStrings(q.Get("app_secret"), cfg.AppSecret) {
		d.fail(w, 0, 36009004, "Invalid credentials. Invalid app_key or app_secret.")
		return false
	}
	return true
}

func hmacEqualStrings(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// tokenGet trades an auth_code for the first tokens (GET /api/v2/token/get).
func (d *tiktokDialect) tokenGet(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !d.checkApp(w, q) {
		return
	}
	if q.Get("grant_type") != "authorized_code" {
		d.fail(w, 0, tiktokCodeBadGrant, "Invalid grant_type. Only authorized_code is accepted.")
		return
	}
	d.mu.Lock()
	c, ok := d.codeLocked(q.Get("auth_code"))
	if !ok {
		d.mu.Unlock()
		d.fail(w, 0, tiktokCodeBadGrant, "Invalid auth_code: unknown, expired or already used.")
		return
	}
	c.used = true
	t := d.issueLocked(c.shopID, 0)
	d.mu.Unlock()
	d.ok(w, d.tokenData(t))
}

// tokenRefresh refreshes (GET /api/v2/token/refresh): the refresh token is
// spent and the answer carries a new one (UNVERIFIED; see
// tiktok_unverified.go).
func (d *tiktokDialect) tokenRefresh(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !d.checkApp(w, q) {
		return
	}
	if q.Get("grant_type") != "refresh_token" {
		d.fail(w, 0, tiktokCodeBadGrant, "Invalid grant_type. Only refresh_token is accepted.")
		return
	}
	d.mu.Lock()
	rt, ok := d.refresh[q.Get("refresh_token")]
	switch {
	case !ok || rt.used || rt.revoked:
		d.mu.Unlock()
		d.fail(w, 0, tiktokCodeBadGrant, "Invalid refresh_token.")
		return
	case !d.s.clock.Now().Before(rt.expires):
		d.mu.Unlock()
		d.fail(w, 0, tiktokCodeBadGrant, "The refresh_token has expired.")
		return
	}
	rt.used = true
	t := d.issueLocked(rt.shopID, d.current[rt.shopID].Refreshes+1)
	d.mu.Unlock()
	d.ok(w, d.tokenData(t))
}

func (d *tiktokDialect) tokenData(t TokenInfo) map[string]any {
	d.s.mu.Lock()
	shop := d.s.shops[t.ShopID]
	d.s.mu.Unlock()
	name, region := "", ""
	if shop != nil {
		name, region = shop.Name, shop.Site
	}
	return map[string]any{
		"access_token":            t.AccessToken,
		"access_token_expire_in":  t.AccessExpiresAt.Unix(),
		"refresh_token":           t.RefreshToken,
		"refresh_token_expire_in": t.RefreshExpiresAt.Unix(),
		"open_id":                 "open" + t.ShopID,
		"seller_name":             name,
		"seller_base_region":      region,
		"user_type":               0,
		"granted_scopes":          []string{"seller.customer_service", "seller.authorization.info"},
	}
}

// authorizedShops is Get Authorized Shops: the token's shop with its cipher.
func (d *tiktokDialect) authorizedShops(w http.ResponseWriter, r *http.Request, req tiktokRequest) {
	d.mu.Lock()
	cipher := d.ciphers[req.shopID]
	d.mu.Unlock()
	d.ok(w, map[string]any{"shops": []any{map[string]any{
		"id": req.shopID, "name": req.shop.Name, "region": req.shop.Site, "seller_type": "LOCAL",
		"cipher": cipher, "code": "SIM" + req.shopID,
	}}})
}

// authorizePage is the service authorization link
// (/open/authorize?service_id=…&state=…). With the simulator-only
// parameter shop_id it redirects at once to the app's Redirect URL with a
// code and the state; without, it lists the shops as links.
func (d *tiktokDialect) authorizePage(w http.ResponseWriter, r *http.Request) {
	cfg := d.config()
	q := r.URL.Query()
	if cfg.ServiceID != "" && q.Get("service_id") != cfg.ServiceID {
		http.Error(w, "unknown service_id", http.StatusBadRequest)
		return
	}
	redirect, err := url.Parse(cfg.RedirectURL)
	if err != nil || redirect.Scheme == "" || redirect.Host == "" {
		http.Error(w, "the app has no Redirect URL (simulator: TikTokConfig.RedirectURL)", http.StatusBadRequest)
		return
	}
	if shopID := q.Get("shop_id"); shopID != "" {
		code, err := d.s.AuthorizationCode(shopID)
		if err != nil {
			http.Error(w, "unknown shop_id", http.StatusBadRequest)
			return
		}
		redirectWith(w, r, redirect, "code", code, "state", q.Get("state"))
		return
	}
	d.s.shopPicker(w, r, d.platform(), "Authorize shopbridge (TikTok Shop simulator)", "Choose a shop to authorize", "shop_id")
}
