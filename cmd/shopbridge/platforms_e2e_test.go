package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bots/console"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/platforms/lazada"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// threeRig is the real binary's wiring (bridgeOptions) with stores of all
// three marketplaces on one simulator over loopback HTTP: 2 Shopee shops
// (polled), 1 Lazada shop (push-first) and 1 TikTok Shop shop (webhooks and
// the safety-net poll), SQLite in a temporary folder and the console
// surface. The timings are the demo's (2 s polls and health checks).
type threeRig struct {
	t       *testing.T
	sim     *simulator.Simulator
	cfg     *Config
	engine  *engine.Engine
	surface *console.Surface
	stores  map[bridge.Platform][]bridge.Store
	buyerN  int
}

func newThreeRig(t *testing.T) *threeRig {
	t.Helper()
	listen := freeListen(t)
	sim := newDemoSimulator(demoShops{shopee: 2, lazada: 1, tiktok: 1}, "http://"+listen)
	simCtx, stopSim := context.WithCancel(context.Background())
	if err := sim.Start(simCtx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	cfg := demoConfig(sim, listen, filepath.Join(t.TempDir(), "state.db"))
	cfg.Chat, cfg.Slack, cfg.Telegram = "console", nil, nil
	cfg.SetDefaults()
	if p := cfg.Validate(); len(p) > 0 {
		t.Fatalf("config: %v", p)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	st, err := openState(context.Background(), cfg, log, stateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := &threeRig{t: t, sim: sim, cfg: cfg, stores: map[bridge.Platform][]bridge.Store{}}
	app := fx.New(bridgeOptions(cfg, log, appIO{In: strings.NewReader(""), Out: io.Discard}, st), fx.Populate(&r.engine, &r.surface))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The simulator stops pushing before the bridge stops recording.
		stopSim()
		sim.Close()
		sctx, cancel := context.WithTimeout(context.Background(), stopTimeout(cfg))
		defer cancel()
		if err := app.Stop(sctx); err != nil {
			t.Errorf("stop: %v", err)
		}
		st.Close()
	})
	for _, s := range cfg.StoreList() {
		r.stores[s.Platform] = append(r.stores[s.Platform], s)
	}
	return r
}

// testWriter logs through t (for -v runs).
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// everyoneSays has a new buyer write to every store and returns the
// messages by platform.
func (r *threeRig) everyoneSays(text string) map[bridge.Platform][]simulator.Message {
	r.t.Helper()
	out := map[bridge.Platform][]simulator.Message{}
	for p, stores := range r.stores {
		for _, s := range stores {
			r.buyerN++
			m, err := r.sim.BuyerSays(s.ShopID, fmt.Sprint(700_000_000+r.buyerN), fmt.Sprintf("%s (%s)", text, s.ID))
			if err != nil {
				r.t.Fatal(err)
			}
			out[p] = append(out[p], m)
		}
	}
	return out
}

// waitPosted waits until each message is in the chat.
func (r *threeRig) waitPosted(what string, msgs []simulator.Message, within time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for {
		missing := 0
		for _, m := range msgs {
			if r.surface.PostedCount(bridge.MessageID(m.ID)) == 0 {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: %d of %d messages not in the chat after %s", what, missing, len(msgs), within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkExactlyOnce checks that every buyer message the simulator holds for
// every store is in the chat exactly once.
func (r *threeRig) checkExactlyOnce() {
	r.t.Helper()
	for p, stores := range r.stores {
		for _, s := range stores {
			for _, m := range r.sim.Messages(s.ShopID) {
				if m.From != simulator.FromBuyer {
					continue
				}
				if n := r.surface.PostedCount(bridge.MessageID(m.ID)); n != 1 {
					r.t.Errorf("%s store %s: buyer message %s (%q) is in the chat %d times, want exactly once", p, s.ID, m.ID, m.Text, n)
				}
			}
		}
	}
}

// alertedStores is every store any version of any alert named.
func (r *threeRig) alertedStores() []bridge.StoreID {
	var out []bridge.StoreID
	for _, a := range r.surface.Alerts() {
		for _, v := range a.Versions {
			for _, id := range v.Stores {
				if !slices.Contains(out, id) {
					out = append(out, id)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func storeIDs(stores []bridge.Store) []bridge.StoreID {
	var out []bridge.StoreID
	for _, s := range stores {
		out = append(out, s.ID)
	}
	slices.Sort(out)
	return out
}

// alertsResolved reports whether there is an alert and the latest version
// of every alert is resolved.
func (r *threeRig) alertsResolved() bool {
	alerts := r.surface.Alerts()
	if len(alerts) == 0 {
		return false
	}
	for _, a := range alerts {
		v := a.Versions[len(a.Versions)-1]
		if v.Severity != bridge.SeverityResolved {
			return false
		}
	}
	return true
}

// One marketplace goes down (its API and its pushes/webhooks) while stores
// of all three are served: the alert names only its stores, the other
// marketplaces' messages keep reaching the chat during the outage, and
// after the recovery every buyer message of every platform is in the chat
// exactly once. Replies go out on all three.
func TestOneMarketplaceDownOthersKeepFlowing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a bridge with an outage for about 20 seconds")
	}
	for _, down := range []bridge.Platform{bridge.PlatformShopee, bridge.PlatformLazada, bridge.PlatformTikTok} {
		t.Run(string(down), func(t *testing.T) {
			t.Parallel()
			r := newThreeRig(t)
			before := r.everyoneSays("hello before")
			var all []simulator.Message
			for _, ms := range before {
				all = append(all, ms...)
			}
			r.waitPosted("before the outage", all, 20*time.Second)

			// The outage: connections to the platform's API are closed and
			// its pushes and webhooks are not delivered.
			for _, kind := range []simulator.FaultKind{simulator.FaultRefuse, simulator.FaultDropPushes} {
				if _, err := r.sim.SetFault(simulator.Fault{Kind: kind, Platform: down}); err != nil {
					t.Fatal(err)
				}
			}
			during := r.everyoneSays("hello during")
			var others []simulator.Message
			for p, ms := range during {
				if p != down {
					others = append(others, ms...)
				}
			}
			r.waitPosted("the other marketplaces during the outage", others, 20*time.Second)
			if down == bridge.PlatformTikTok {
				// TikTok Shop is polled every 5 minutes at most (30 s in the
				// demo's config): the test plays the poll timer, twice.
				for _, s := range r.stores[down] {
					for range 2 {
						ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
						if _, err := r.engine.SyncNow(ctx, s.ID); err == nil {
							t.Errorf("a poll of %s succeeded during its outage", s.ID)
						}
						cancel()
					}
				}
			}
			// Each store joins the one alert once its own syncs failed.
			waitFor(t, "the alert naming every "+string(down)+" store", func() bool {
				return slices.Equal(r.alertedStores(), storeIDs(r.stores[down]))
			})
			// The others are still flowing after the alert.
			more := r.everyoneSays("hello after the alert")
			others = nil
			for p, ms := range more {
				if p != down {
					others = append(others, ms...)
				}
			}
			r.waitPosted("the other marketplaces after the alert", others, 20*time.Second)
			if got, want := r.alertedStores(), storeIDs(r.stores[down]); !slices.Equal(got, want) {
				t.Errorf("the alert names %v, want only the %s stores %v", got, down, want)
			}

			r.sim.ClearFaults()
			waitFor(t, "the alert resolved", r.alertsResolved)
			var everything []simulator.Message
			for _, stores := range r.stores {
				for _, s := range stores {
					for _, m := range r.sim.Messages(s.ShopID) {
						if m.From == simulator.FromBuyer {
							everything = append(everything, m)
						}
					}
				}
			}
			// Lazada delivers the pushes it could not deliver again (every
			// 2 s on this simulator); Shopee's and TikTok's are caught up by
			// the catch-up poll.
			r.waitPosted("everything after the recovery", everything, 30*time.Second)
			if got, want := r.alertedStores(), storeIDs(r.stores[down]); !slices.Equal(got, want) {
				t.Errorf("after the recovery the alert names %v, want only %v", got, want)
			}

			// An agent answers one thread of each platform: sent on all three.
			var replies []bridge.ChatMessageRef
			answered := map[bridge.Platform]bool{}
			for _, th := range r.surface.Threads() {
				p := th.Header.Store.Platform
				if answered[p] || !th.Header.AwaitingReply {
					continue
				}
				ref, err := r.surface.Say(context.Background(), th.Ref, "agent-ana", "Thanks, on its way ("+string(p)+")")
				if err != nil {
					t.Fatal(err)
				}
				answered[p] = true
				replies = append(replies, ref)
			}
			if len(answered) != 3 {
				t.Errorf("answered threads of %v, want one of each platform", answered)
			}
			waitFor(t, "every reply sent", func() bool {
				st := r.surface.ReplyStatuses()
				for _, ref := range replies {
					if st[ref].Status != bridge.ReplySent {
						return false
					}
				}
				return true
			})
			// A moment for anything late (a redelivered push, a catch-up
			// racing a webhook) to show up twice if it were going to.
			time.Sleep(3 * time.Second)
			r.checkExactlyOnce()
		})
	}
}

// /metrics counts the Lazada store's IM list calls (the history import
// only) and the refused pushes of the Lazada and TikTok endpoints.
func TestThreePlatformsMetricsAndRefusals(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a bridge for about 10 seconds")
	}
	r := newThreeRig(t)
	base := "http://" + r.cfg.HTTP.Listen
	forged := func(path string) int {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(`{"seller_id":"2001","message_type":2,"data":{}}`))
		req.Header.Set("Authorization", strings.Repeat("0", 64))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for range 3 {
		if code := forged(lazada.DefaultPushPath); code != http.StatusUnauthorized {
			t.Fatalf("forged Lazada push: %d, want 401", code)
		}
		if code := forged("/webhook/tiktok"); code != http.StatusUnauthorized {
			t.Fatalf("forged TikTok webhook: %d, want 401", code)
		}
	}
	// The history import runs import_delay (5 s here) after the start.
	waitFor(t, "the Lazada history import", func() bool { return r.sim.LazadaPolling("2001").ListCalls > 0 })
	var metrics string
	waitFor(t, "the list calls in /metrics", func() bool {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		metrics = string(b)
		return strings.Contains(metrics, fmt.Sprintf(`shopbridge_marketplace_list_calls_total{platform="lazada",site="SG",store="lazada-sg-2001"} %d`, r.sim.LazadaPolling("2001").ListCalls))
	})
	for _, want := range []string{
		`shopbridge_marketplace_list_calls_refused_total{platform="lazada",site="SG",store="lazada-sg-2001"} 0`,
		`shopbridge_refused_requests_total{endpoint="lazada_push",reason="bad_signature"} 3`,
		`shopbridge_refused_requests_total{endpoint="tiktok_webhook",reason="bad_signature"} 3`,
		`shopbridge_store_up{platform="tiktok",reason="",site="TH",store="tiktok-th-3001"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(metrics, `shopbridge_marketplace_list_calls_total{platform="shopee"`) {
		t.Error("list calls are counted for the push-driven Lazada stores only")
	}
}
