package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// httpClient returns the pooled client of the store's proxy (or the direct
// one), creating it on first use.
func (c *Client) httpClient(store bridge.Store) (*http.Client, error) {
	c.warnExpiredProxy(store)
	c.mu.Lock()
	defer c.mu.Unlock()
	if hc, ok := c.clients[store.ProxyURL]; ok {
		return hc, nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	if store.ProxyURL != "" {
		u, err := url.Parse(store.ProxyURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			// The proxy URL may hold a password: it is not quoted.
			return nil, &bridge.PlatformError{Kind: bridge.KindPermanent, Platform: c.platform,
				Op: "connect", Message: "store " + string(store.ID) + ": proxy_url is not a valid URL (scheme://host:port)"}
		}
		tr.Proxy = http.ProxyURL(u)
	}
	hc := &http.Client{
		Transport: tr,
		Timeout:   c.cfg.Timeout,
		// Marketplace APIs do not redirect; following one would re-send a
		// signed request somewhere else. The 3xx is classified instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	c.clients[store.ProxyURL] = hc
	return hc, nil
}

// warnExpiredProxy logs once per store when its proxy has lapsed (the daily
// report shows the expiry date too).
func (c *Client) warnExpiredProxy(store bridge.Store) {
	if store.ProxyURL == "" || store.ProxyExpiry.IsZero() || c.clock.Now().Before(store.ProxyExpiry) {
		return
	}
	c.mu.Lock()
	warned := c.proxyWarned[store.ID]
	c.proxyWarned[store.ID] = true
	c.mu.Unlock()
	if !warned {
		c.log.Warn("store proxy has expired", "store", string(store.ID),
			"proxy_expiry", store.ProxyExpiry.Format("2006-01-02"))
	}
}

// NotDelivered reports whether err certainly happened before the request
// reached the server: the connection (or the proxy connection) was never
// established, the name did not resolve, or the TLS handshake failed.
// Only then may a send be retried without risking a duplicate.
func NotDelivered(err error) bool {
	if err == nil {
		return false
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && (opErr.Op == "dial" || opErr.Op == "proxyconnect") {
		return true
	}
	var recErr tls.RecordHeaderError
	if errors.As(err, &recErr) {
		return true
	}
	var certErr *tls.CertificateVerificationError
	return errors.As(err, &certErr)
}

// sleep waits d on clock or until ctx ends.
func sleep(ctx context.Context, clock bridge.Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-clock.After(d):
		return nil
	}
}
