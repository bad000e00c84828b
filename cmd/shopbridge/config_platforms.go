package main

import (
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/lazada"
	"github.com/shopbridge/shopbridge/platforms/shopee"
	"github.com/shopbridge/shopbridge/platforms/tiktok"
)

// marketplace is what the config knows of one platform: its sites, its
// own store checks, and whether the config has its app section.
type marketplace struct {
	platform bridge.Platform
	// sites are the platform's site codes a store may name.
	sites []string
	// validateStore is the client package's ValidateStore.
	validateStore func(bridge.Store) []string
	// section is the app section's YAML key; hasSection and
	// validateSection read it from a config.
	section         string
	hasSection      func(*Config) bool
	validateSection func(*Config) []string
	// missingSection is the line for a used platform without its section.
	missingSection string
}

// marketplaces are the platforms a store may be on, in the order the
// config and its problems name them.
var marketplaces = []marketplace{
	{
		platform:        bridge.PlatformShopee,
		sites:           []string{"BR", "CL", "CO", "ID", "MX", "MY", "PH", "SG", "TH", "TW", "VN"},
		validateStore:   shopee.ValidateStore,
		section:         "shopee",
		hasSection:      func(c *Config) bool { return c.Shopee != nil },
		validateSection: func(c *Config) []string { return c.Shopee.Validate() },
		missingSection:  "shopee: stores use shopee but the shopee section (partner_id, partner_key) is missing",
	},
	{
		platform:        bridge.PlatformLazada,
		sites:           sortedKeys(lazada.DefaultGateways),
		validateStore:   lazada.ValidateStore,
		section:         "lazada",
		hasSection:      func(c *Config) bool { return c.Lazada != nil },
		validateSection: func(c *Config) []string { return c.Lazada.Validate() },
		missingSection:  "lazada: stores use lazada but the lazada section (app_key, app_secret) is missing",
	},
	{
		platform: bridge.PlatformTikTok,
		// TikTok Shop's markets (seller_base_region); the client does not
		// depend on the site, which only labels the store.
		sites:           []string{"BR", "DE", "ES", "FR", "GB", "ID", "IE", "IT", "JP", "MX", "MY", "PH", "SG", "TH", "US", "VN"},
		validateStore:   tiktok.ValidateStore,
		section:         "tiktok",
		hasSection:      func(c *Config) bool { return c.TikTok != nil },
		validateSection: func(c *Config) []string { return c.TikTok.Validate() },
		missingSection:  "tiktok: stores use tiktok but the tiktok section (app_key, app_secret, service_id) is missing",
	},
}

// marketplaceOf returns what the config knows of platform p.
func marketplaceOf(p string) (marketplace, bool) {
	for _, m := range marketplaces {
		if string(m.platform) == p {
			return m, true
		}
	}
	return marketplace{}, false
}

// platformNames lists the known platforms: "shopee, lazada, tiktok".
func platformNames() string {
	names := make([]string, len(marketplaces))
	for i, m := range marketplaces {
		names[i] = string(m.platform)
	}
	return strings.Join(names, ", ")
}

// UsesPlatform reports whether a configured store is on platform p.
func (c *Config) UsesPlatform(p bridge.Platform) bool {
	for _, s := range c.Stores {
		if s.Platform == string(p) {
			return true
		}
	}
	return false
}

// PlatformEnabled reports whether the bridge builds platform p's client:
// a store uses it, or its section is present and valid (so that `stores
// refresh` can add a store of it later). A section nobody uses whose
// ${ENV} secrets are not set is left out quietly.
func (c *Config) PlatformEnabled(p bridge.Platform) bool {
	m, ok := marketplaceOf(string(p))
	if !ok || !m.hasSection(c) {
		return false
	}
	return c.UsesPlatform(p) || len(m.validateSection(c)) == 0
}

// StoresOf returns the configured stores of platform p.
func (c *Config) StoresOf(p bridge.Platform) []bridge.Store {
	var out []bridge.Store
	for _, s := range c.Stores {
		if s.Platform == string(p) {
			out = append(out, s.Store())
		}
	}
	return out
}
