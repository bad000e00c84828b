package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/lazada"
	"github.com/shopbridge/shopbridge/platforms/shopee"
	"github.com/shopbridge/shopbridge/platforms/simulator"
	"github.com/shopbridge/shopbridge/platforms/tiktok"
)

const simulateSynopsis = `  shopbridge simulate [--addr 127.0.0.1:9090] [--bridge http://127.0.0.1:8080] [--buyers N]
      run the marketplace simulator alone (Shopee, Lazada and TikTok Shop on
      one listener, faults through its /_sim/ control API) and print the
      config fragment that points a bridge at it
`

// cmdSimulate runs the marketplace simulator alone (Shopee, Lazada and
// TikTok Shop dialects on one listener), with scripted buyers if asked,
// and prints the config fragment that points a bridge at it.
func cmdSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("simulate", simulateSynopsis)
	addr := fs.String("addr", "127.0.0.1:9090", "address to listen on")
	var n demoShops
	fs.IntVar(&n.shopee, "shops", 3, "how many Shopee shops (sites MY, PH, TH, VN, …)")
	fs.IntVar(&n.lazada, "lazada", 1, "how many Lazada shops (sites SG, MY, TH, …)")
	fs.IntVar(&n.tiktok, "tiktok", 1, "how many TikTok Shop shops (sites TH, MY, SG, …)")
	buyers := fs.Int("buyers", 0, "scripted buyers per shop (0: none; drive it with the /_sim/ control API)")
	interval := fs.Duration("interval", 2*time.Second, "wait between two scripted buyer messages")
	bridgeURL := fs.String("bridge", "", "the bridge's listener (e.g. http://127.0.0.1:8080): Shopee pushes, Lazada pushes and TikTok webhooks go to its default paths, and TikTok's authorization page redirects to it")
	push := fs.String("push", "", "callback URL of Shopee's signed webchat pushes (default: --bridge + /push/shopee)")
	if _, err := fs.parse(args, stdout, 0, 0); err != nil {
		return err
	}
	if n.shopee < 0 || n.lazada < 0 || n.tiktok < 0 || n.total() < 1 {
		return usagef("simulate", "--shops, --lazada and --tiktok must not be negative, with at least one shop in all")
	}
	sim := newDemoSimulator(n, strings.TrimRight(*bridgeURL, "/"))
	if *push != "" {
		sim.SetPushCallback(*push)
	}
	if err := sim.Start(ctx, *addr); err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	defer sim.Close()
	fmt.Fprintf(stdout, "# marketplace simulator (Shopee, Lazada, TikTok Shop) listening on %s (control API: %s/_sim/)\n", sim.URL(), sim.URL())
	if *bridgeURL == "" {
		fmt.Fprintln(stdout, "# no --bridge: Lazada pushes and TikTok webhooks are not sent (set them with POST /_sim/lazada/push_callback and /_sim/tiktok/webhook_url)")
	}
	fmt.Fprintln(stdout, "# put this in your shopbridge config:")
	fmt.Fprintln(stdout, sim.StoreConfigYAML())
	if *buyers > 0 {
		run, err := sim.StartBuyers(ctx, simulator.BuyerScript{BuyersPerShop: *buyers, Interval: *interval})
		if err != nil {
			return err
		}
		defer run.Stop()
	}
	<-ctx.Done()
	return nil
}

// demoSite is one simulated shop's site and name.
type demoSite struct{ site, name string }

// demoSites are the shops' sites and names per platform, in order.
var demoSites = map[bridge.Platform][]demoSite{
	bridge.PlatformShopee: {{"MY", "Kedai Utama"}, {"PH", "Manila Mart"}, {"TH", "Bangkok Bazaar"}, {"VN", "Saigon Store"},
		{"ID", "Toko Jakarta"}, {"BR", "Loja São Paulo"}, {"SG", "Merlion Mall"}},
	bridge.PlatformLazada: {{"SG", "Lion City Goods"}, {"MY", "Kedai Lazada"}, {"TH", "Siam Select"}, {"PH", "Cebu Corner"},
		{"VN", "Hanoi House"}, {"ID", "Bandung Baru"}},
	bridge.PlatformTikTok: {{"TH", "Chiang Mai Live"}, {"MY", "KL Live Deals"}, {"SG", "Orchard Live"}, {"PH", "Makati Live"},
		{"VN", "Da Nang Live"}, {"ID", "Surabaya Live"}},
}

// demoFirstShopID is each platform's first simulated shop ID.
var demoFirstShopID = map[bridge.Platform]int{bridge.PlatformShopee: 1001, bridge.PlatformLazada: 2001, bridge.PlatformTikTok: 3001}

// newDemoSimulator builds a simulator with n shops per platform across
// sites. With a bridge URL, every dialect pushes to the bridge's default
// paths; Lazada delivers a failed push again after 2 s (30 min in
// production) and TikTok a failed webhook after 2 s, 10 s, 30 s and 2 min
// (2 min, 30 min, 3 h, 12 h), so that the demo's outages settle within it.
func newDemoSimulator(n demoShops, bridgeURL string) *simulator.Simulator {
	push := func(path string) string {
		if bridgeURL == "" {
			return ""
		}
		return bridgeURL + path
	}
	sim := simulator.New(simulator.Config{Seed: uint64(time.Now().UnixNano()), PushCallbackURL: push(shopee.DefaultPushPath)})
	sim.ConfigureLazada(simulator.LazadaConfig{PushCallbackURL: push(lazada.DefaultPushPath), PushRetryInterval: 2 * time.Second})
	sim.ConfigureTikTok(simulator.TikTokConfig{WebhookURL: push(tiktok.DefaultWebhookPath), RedirectURL: push(tiktok.DefaultAuthRedirectPath),
		WebhookRetryWaits: []time.Duration{2 * time.Second, 10 * time.Second, 30 * time.Second, 2 * time.Minute}})
	for _, p := range []struct {
		platform bridge.Platform
		n        int
	}{{bridge.PlatformShopee, n.shopee}, {bridge.PlatformLazada, n.lazada}, {bridge.PlatformTikTok, n.tiktok}} {
		sites := demoSites[p.platform]
		for i := 0; i < p.n; i++ {
			s := sites[i%len(sites)]
			sim.AddShop(simulator.Shop{ShopID: fmt.Sprint(demoFirstShopID[p.platform] + i), Site: s.site, Name: s.name, Platform: p.platform})
		}
	}
	return sim
}
