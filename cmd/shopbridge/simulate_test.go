package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// `shopbridge simulate` prints a config fragment for all three dialects
// that, with a chat surface, is a valid bridge config.
func TestSimulatePrintsAConfigForAllThreeDialects(t *testing.T) {
	var out, errb bridgetest.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- cmdSimulate(ctx, []string{"--addr", "127.0.0.1:0", "--shops", "2", "--lazada", "1", "--tiktok", "1", "--bridge", "http://127.0.0.1:8080"}, &out, &errb)
	}()
	waitFor(t, "the config printed", func() bool { return strings.Contains(out.String(), "tiktok-") })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("simulate did not stop")
	}
	cfg, err := ParseConfig("simulate.yaml", []byte("chat: console\n"+out.String()), env(nil))
	if err != nil {
		t.Fatalf("the printed config is not valid: %v\n%s", err, out.String())
	}
	for p, n := range map[bridge.Platform]int{bridge.PlatformShopee: 2, bridge.PlatformLazada: 1, bridge.PlatformTikTok: 1} {
		if got := len(cfg.StoresOf(p)); got != n || !cfg.PlatformEnabled(p) {
			t.Errorf("%s: %d stores (enabled %v), want %d", p, got, cfg.PlatformEnabled(p), n)
		}
	}
	if len(cfg.InitialTokens()) != 4 {
		t.Errorf("initial tokens for %d stores, want 4", len(cfg.InitialTokens()))
	}
}
