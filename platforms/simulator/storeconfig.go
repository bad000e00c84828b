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
// simulator: the app section of each platform that has shops (shopee:
// partner ID and key, base URL; lazada: app key and secret, gateway and
// auth URLs; tiktok: app key and secret, API, auth and authorize URLs,
// service ID) and one store per shop with its initial tokens. Without any
// shop it renders the shopee section alone.
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
	type shopeeApp struct {
		PartnerID  int64  `yaml:"partner_id"`
		PartnerKey string `yaml:"partner_key"`
		BaseURL    string `yaml:"base_url"`
	}
	var doc struct {
		Shopee *shopeeApp        `yaml:"shopee,omitempty"`
		Lazada *lazadaAppSection `yaml:"lazada,omitempty"`
		TikTok *tiktokAppSection `yaml:"tiktok,omitempty"`
		Stores []store           `yaml:"stores"`
	}
	used := map[bridge.Platform]bool{}
	for _, sc := range s.StoreConfigs() {
		used[sc.Platform] = true
		doc.Stores = append(doc.Stores, store{string(sc.ID), string(sc.Platform), sc.ShopID, sc.Name, sc.Site, sc.AccessToken, sc.RefreshToken})
	}
	if used[bridge.PlatformShopee] || len(used) == 0 {
		doc.Shopee = &shopeeApp{s.cfg.PartnerID, s.cfg.PartnerKey, s.URL()}
	}
	if used[bridge.PlatformLazada] {
		a := s.lazadaAppSection()
		doc.Lazada = &a
	}
	if used[bridge.PlatformTikTok] {
		a := s.tiktokAppSection()
		doc.TikTok = &a
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return "# cannot render: " + err.Error() + "\n"
	}
	return "# shopbridge config fragment for the marketplace simulator at " + s.URL() + "\n" +
		"# The tokens are initial ones: once the bridge refreshes them, the saved ones win.\n" + string(b)
}

// lazadaAppSection is the lazada: section of a bridge config that points
// at the simulator's Lazada dialect (one gateway for every site).
type lazadaAppSection struct {
	AppKey       string `yaml:"app_key"`
	AppSecret    string `yaml:"app_secret"`
	GatewayURL   string `yaml:"gateway_url"`
	AuthURL      string `yaml:"auth_url"`
	AuthorizeURL string `yaml:"authorize_url"`
}

func (s *Simulator) lazadaAppSection() lazadaAppSection {
	c := s.LazadaConfig()
	return lazadaAppSection{AppKey: c.AppKey, AppSecret: c.AppSecret, GatewayURL: s.URL() + "/rest",
		AuthURL: s.URL() + "/rest", AuthorizeURL: s.URL() + "/oauth/authorize"}
}

// LazadaAppYAML renders the lazada: section of a bridge config that points
// at the simulator (the stores come from StoreConfigYAML).
func (s *Simulator) LazadaAppYAML() string {
	var doc struct {
		Lazada lazadaAppSection `yaml:"lazada"`
	}
	doc.Lazada = s.lazadaAppSection()
	b, err := yaml.Marshal(doc)
	if err != nil {
		return "# cannot render: " + err.Error() + "\n"
	}
	return "# the Lazada app of the marketplace simulator at " + s.URL() + "\n" + string(b)
}
