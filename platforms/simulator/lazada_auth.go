package simulator

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Lazada tokens [DOC LZ-AUTH, LZ-TOKEN]: an authorization code (30 minutes,
// single use) is traded for an access token and a refresh token on the auth
// gateway; a refresh issues a new access token and a new refresh token that
// keeps the first grant's expiry (refreshing never extends it).

// authorize issues a fresh token pair for shopID, as if the seller had
// just authorized the app.
func (d *lazadaDialect) authorize(shopID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.s.clock.Now()
	d.issueLocked(shopID, now.Add(d.cfg.RefreshTokenLifetime), 0)
}

// issueLocked issues a pair whose refresh token expires at refreshExpires.
func (d *lazadaDialect) issueLocked(shopID string, refreshExpires time.Time, refreshes int) TokenInfo {
	now := d.s.clock.Now()
	return d.recordLocked(TokenInfo{
		ShopID:           shopID,
		AccessToken:      "50000" + d.s.randHex(16),
		RefreshToken:     "50001" + d.s.randHex(16),
		AccessExpiresAt:  now.Add(d.cfg.AccessTokenLifetime),
		RefreshExpiresAt: refreshExpires,
		Refreshes:        refreshes,
	})
}

// checkAccessToken returns the shop of a valid access token.
func (d *lazadaDialect) checkAccessToken(token string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.access[token]
	if !ok || a.revoked || !d.s.clock.Now().Before(a.expires) {
		return "", false
	}
	return a.shopID, true
}

// shopOfToken is the shop an access token was issued for, valid or not
// (to match faults limited to a shop).
func (d *lazadaDialect) shopOfToken(token string) string {
	if token == "" {
		return ""
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.access[token]; ok {
		return a.shopID
	}
	return ""
}

func (d *lazadaDialect) authCode(shopID string) string {
	cfg := d.config()
	return d.addCode("0_"+cfg.AppKey+"_"+d.s.randHex(12), shopID, cfg.AuthCodeLifetime)
}

// authorizePage is /oauth/authorize: with seller_id (a simulator-only
// parameter) it redirects at once to redirect_uri with a code; without, it
// lists the Lazada shops as links.
func (d *lazadaDialect) authorizePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != d.config().AppKey || q.Get("response_type") != "code" {
		http.Error(w, "invalid client_id or response_type", http.StatusBadRequest)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme == "" || redirect.Host == "" {
		http.Error(w, "invalid redirect_uri", http.StatusBadRequest)
		return
	}
	if seller := q.Get("seller_id"); seller != "" {
		if d.s.isLazadaShop(seller) != nil {
			http.Error(w, "unknown seller_id", http.StatusBadRequest)
			return
		}
		redirectWith(w, r, redirect, "code", d.authCode(seller))
		return
	}
	d.s.shopPicker(w, r, d.platform(), "Authorize shopbridge (Lazada simulator)", "Choose a seller to authorize", "seller_id")
}

// isLazadaShop returns nil when shopID is a Lazada shop of the simulator.
func (s *Simulator) isLazadaShop(shopID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh, ok := s.shops[shopID]
	if !ok || sh.Platform != "lazada" {
		return fmt.Errorf("simulator: no Lazada shop %s", shopID)
	}
	return nil
}

// tokenResponse is the body of both token APIs: the fields at the top
// level beside code [DOC LZ-TOKEN]; the refresh calls the list
// country_user_info_list.
func (d *lazadaDialect) tokenResponse(t TokenInfo, listKey string) map[string]any {
	now := d.s.clock.Now()
	d.s.mu.Lock()
	shop := d.s.shops[t.ShopID]
	site, user := "", ""
	if shop != nil {
		site, user = strings.ToLower(shop.Site), shop.userID
	}
	d.s.mu.Unlock()
	return map[string]any{
		"access_token":       t.AccessToken,
		"refresh_token":      t.RefreshToken,
		"expires_in":         int64(t.AccessExpiresAt.Sub(now) / time.Second),
		"refresh_expires_in": int64(t.RefreshExpiresAt.Sub(now) / time.Second),
		"country":            site,
		"account":            "seller" + t.ShopID + "@example.com",
		"account_id":         user,
		"account_platform":   "seller_center",
		listKey: []map[string]any{{
			"country": site, "seller_id": t.ShopID, "user_id": user, "short_code": strings.ToUpper(site) + "SIM" + t.ShopID,
		}},
		"code":       "0",
		"request_id": d.s.randHex(13),
	}
}

// tokenCreate trades a code for the first tokens.
func (d *lazadaDialect) tokenCreate(w http.ResponseWriter, r *http.Request, req lazadaRequest) {
	code := req.params.Get("code")
	d.mu.Lock()
	c, ok := d.codeLocked(code)
	if !ok {
		d.mu.Unlock()
		d.fail(w, "ISV", "InvalidCode", "Invalid authorization code")
		return
	}
	c.used = true
	t := d.issueLocked(c.shopID, d.s.clock.Now().Add(d.cfg.RefreshTokenLifetime), 0)
	d.mu.Unlock()
	d.write(w, http.StatusOK, d.tokenResponse(t, "country_user_info"))
}

// tokenRefresh issues a new access token and a new refresh token with the
// old one's expiry; the old refresh token is spent.
func (d *lazadaDialect) tokenRefresh(w http.ResponseWriter, r *http.Request, req lazadaRequest) {
	d.mu.Lock()
	rt, ok := d.refresh[req.params.Get("refresh_token")]
	if !ok || rt.used || rt.revoked || !d.s.clock.Now().Before(rt.expires) {
		d.mu.Unlock()
		d.fail(w, "ISV", "IllegalRefreshToken", lzMsgIllegalRefresh)
		return
	}
	rt.used = true
	t := d.issueLocked(rt.shopID, rt.expires, d.current[rt.shopID].Refreshes+1)
	d.mu.Unlock()
	d.write(w, http.StatusOK, d.tokenResponse(t, "country_user_info_list"))
}

// sellerGet is GetSeller, the seller's profile.
func (d *lazadaDialect) sellerGet(w http.ResponseWriter, r *http.Request, req lazadaRequest) {
	id, _ := parseUint(req.shopID)
	d.ok(w, map[string]any{
		"name_company": req.shop.Name + " Pte Ltd", "seller_id": id, "name": req.shop.Name,
		"short_code": strings.ToUpper(req.shop.Site) + "SIM" + req.shopID, "logo_url": "", "email": "seller" + req.shopID + "@example.com",
		"cb": false, "location": req.shop.Site, "status": "ACTIVE",
	}, false)
}
