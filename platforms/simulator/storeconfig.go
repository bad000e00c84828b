package simulator

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shopbridge/shopbridge/bridge"
)

// StoreConfig is what a bridge needs to serve one simulated shop.
type StoreConfig struct {
	ID              bridge.StoreID
	Platform        bridge.Platform
	ShopID          string
	Name            string
	Site            string
	AccessToken     string
	RefreshToken    string
	AccessExpiresAt time.Time
}

// StoreID is the store ID StoreConfigs gives a shop: "shopee-my-1001".
func StoreID(shop Shop) bridge.StoreID {
	p := shop.Platform
	if p == "" {
		p = bridge.PlatformShopee
	}
	return bridge.StoreID(fmt.Sprintf("%s-%s-%s", p, strings.ToLower(shop.Site), shop.ShopID))
}

// StoreConfigs returns one store per shop with its current tokens.
func (s *Simulator) StoreConfigs() []StoreConfig {
	var out []StoreConfig
	for _, shop := range s.Shops() {
		t, _ := s.Tokens(shop.ShopID)
		out = append(out, StoreConfig{
			ID: StoreID(shop), Platform: shop.Platform, ShopID: shop.ShopID, Name: shop.Name, Site: shop.Site,
			AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, AccessExpiresAt: t.AccessExpiresAt,
		})
	}
	return out
}

// StoreConfigYAML renders a config fragment that points a bridge at the
// simulator: the shopee app (partner ID and key, base URL) and one store per
// shop with its initial tokens.
func (s *Simulator) StoreConfigYAML() string {
	type store struct {
		ID           string `yaml:"id"`
		Platform     string `yaml:"platform"`
		ShopID       string `yaml:"shop_id"`
		Name         string `yaml:"name"`
		Site         string `yaml:"site"`
		AccessToken  string `yaml:"access_token"`
		RefreshToken string `yaml:"refresh_token"`
	}
	var doc struct {
		Shopee struct {
			PartnerID  int64  `yaml:"partner_id"`
			PartnerKey string `yaml:"partner_key"`
			BaseURL    string `yaml:"base_url"`
		} `yaml:"shopee"`
		Stores []store `yaml:"stores"`
	}
	doc.Shopee.PartnerID, doc.Shopee.PartnerKey, doc.Shopee.BaseURL = s.cfg.PartnerID, s.cfg.PartnerKey, s.URL()
	for _, sc := range s.StoreConfigs() {
		doc.Stores = append(doc.Stores, store{string(sc.ID), string(sc.Platform), sc.ShopID, sc.Name, sc.Site, sc.AccessToken, sc.RefreshToken})
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return "# cannot render: " + err.Error() + "\n"
	}
	return "# shopbridge config fragment for the marketplace simulator at " + s.URL() + "\n" +
		"# The tokens are initial ones: once the bridge refreshes them, the saved ones win.\n" + string(b)
}
