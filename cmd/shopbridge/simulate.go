package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// cmdSimulate runs the marketplace simulator alone, with scripted buyers if
// asked, and prints the config fragment that points a bridge at it.
func cmdSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9090", "address to listen on")
	shops := fs.Int("shops", 3, "how many Shopee shops (sites MY, SG, TH, PH, VN, …)")
	buyers := fs.Int("buyers", 0, "scripted buyers per shop (0: none; drive it with the /_sim/ control API)")
	interval := fs.Duration("interval", 2*time.Second, "wait between two scripted buyer messages")
	push := fs.String("push", "", "callback URL for signed webchat pushes (e.g. http://127.0.0.1:8080/push/shopee)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sim := newDemoSimulator(*shops, *push)
	if err := sim.Start(ctx, *addr); err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	defer sim.Close()
	fmt.Fprintf(stdout, "# marketplace simulator listening on %s (control API: %s/_sim/)\n", sim.URL(), sim.URL())
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

var demoSites = []struct{ site, name string }{
	{"MY", "Kedai Utama"}, {"SG", "Lion City Goods"}, {"TH", "Bangkok Bazaar"}, {"PH", "Manila Mart"},
	{"VN", "Saigon Store"}, {"ID", "Toko Jakarta"}, {"BR", "Loja São Paulo"},
}

// newDemoSimulator builds a simulator with n shops across sites.
func newDemoSimulator(n int, pushURL string) *simulator.Simulator {
	sim := simulator.New(simulator.Config{Seed: uint64(time.Now().UnixNano()), PushCallbackURL: pushURL})
	for i := 0; i < n; i++ {
		s := demoSites[i%len(demoSites)]
		sim.AddShop(simulator.Shop{ShopID: fmt.Sprint(1001 + i), Site: s.site, Name: s.name})
	}
	return sim
}
