package simulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// authorize issues a fresh token pair for shopID, as if the shop owner had
// just authorized the app.
func (d *shopeeDialect) authorize(shopID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.issueLocked(shopID, 0)
}

func (d *shopeeDialect) issueLocked(shopID string, refreshes int) TokenInfo {
	now := d.s.clock.Now()
	return d.recordLocked(TokenInfo{
		ShopID:           shopID,
		AccessToken:      d.s.randHex(16),
		RefreshToken:     d.s.randHex(16),
		AccessExpiresAt:  now.Add(d.s.cfg.AccessTokenLifetime),
		RefreshExpiresAt: now.Add(d.s.cfg.RefreshTokenLifetime),
		Refreshes:        refreshes,
	})
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

func (d *shopeeDialect) authCode(shopID string) string {
	return d.addCode(d.s.randHex(16), shopID, d.s.cfg.AuthCodeLifetime)
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
		redirectWith(w, r, redirect, "code", code, "shop_id", shopID)
		return
	}
	// Every shop, whatever its platform (this page came first).
	d.s.shopPicker(w, r, "", "Authorize shopbridge (simulator)", "Choose a shop to authorize", "shop_id")
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
	c, ok := d.codeLocked(body.Code)
	if !ok || c.shopID != body.ShopID.String() {
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
