package lazada_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/httpx"
	"github.com/shopbridge/shopbridge/platforms/lazada"
	"github.com/shopbridge/shopbridge/platforms/platformtest"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// rig is a started simulator with one Lazada SG shop, a client configured
// from it, and the client's push endpoint on a local server that the
// simulator pushes to.
type rig struct {
	clock   *bridgetest.Clock
	sim     *simulator.Simulator
	client  *lazada.Client
	tokens  *platformtest.MemTokens
	rec     *fakeRecorder
	hints   *bridge.Hints
	store   bridge.Store
	logs    *bridgetest.Buffer
	pushURL string
	cfg     lazada.Config
	srv     *httptest.Server
}

type rigOptions struct {
	initial  bool // give the client the shop's tokens as initial tokens (default true via newRig)
	noPushes bool // no Pushes at all
	pushes   lazada.PushRecorder
	mutate   func(*lazada.Config)
	simCfg   func(*simulator.LazadaConfig)
}

func newRig(t testing.TB) *rig { return newRigWith(t, rigOptions{initial: true}) }

func newRigWith(t testing.TB, o rigOptions) *rig {
	t.Helper()
	clock := bridgetest.NewClock(platformtest.Start)
	sim := simulator.New(simulator.Config{Clock: clock, Seed: 5})
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	lc := simulator.LazadaConfig{PushCallbackURL: srv.URL + lazada.DefaultPushPath, PushTimeout: 5 * time.Second}
	if o.simCfg != nil {
		o.simCfg(&lc)
	}
	sim.ConfigureLazada(lc)
	shop := simulator.Shop{ShopID: "2002", Site: "SG", Name: "Lazada Rig", Platform: bridge.PlatformLazada}
	if err := sim.AddShop(shop); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sim.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); sim.Close() })
	store := bridge.Store{ID: simulator.StoreID(shop), Platform: bridge.PlatformLazada, ShopID: shop.ShopID, Name: shop.Name, Site: shop.Site}
	r := &rig{clock: clock, sim: sim, tokens: platformtest.NewMemTokens(), rec: newFakeRecorder(), hints: bridge.NewHints(),
		store: store, logs: &bridgetest.Buffer{}, pushURL: srv.URL + lazada.DefaultPushPath, srv: srv}
	cfg := simConfig(sim)
	if o.mutate != nil {
		o.mutate(&cfg)
	}
	r.cfg = cfg
	deps := lazada.Deps{Tokens: r.tokens, Hints: r.hints, Clock: clock, Stores: []bridge.Store{store},
		Logger: slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	switch {
	case o.noPushes:
	case o.pushes != nil:
		deps.Pushes = o.pushes
	default:
		deps.Pushes = r.rec
	}
	if o.initial {
		tok, _ := sim.Tokens(shop.ShopID)
		deps.InitialTokens = map[bridge.StoreID]bridge.Tokens{store.ID: {AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken,
			AccessExpiresAt: tok.AccessExpiresAt, RefreshExpiresAt: tok.RefreshExpiresAt}}
	}
	client, err := lazada.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	client.RegisterRoutes(mux)
	r.client = client
	return r
}

// simConfig points a client at the simulator: one gateway for every site.
func simConfig(sim *simulator.Simulator) lazada.Config {
	lc := sim.LazadaConfig()
	return lazada.Config{
		AppKey: lc.AppKey, AppSecret: lc.AppSecret,
		GatewayURL: sim.URL() + "/rest", AuthURL: sim.URL() + "/rest", AuthorizeURL: sim.URL() + "/oauth/authorize",
		MaxListCallsPerHour: 1000,
		HTTP:                httpx.Config{Timeout: 5 * time.Second, RetryMax: -1, RateLimit: -1},
	}
}

// buyer is the i-th test buyer's ID.
func buyer(i int) string { return platformtest.BuyerID(i) }

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// listCalls is how many IM list calls the simulator served.
func (r *rig) listCalls() int {
	c := r.sim.Calls()
	return c["/im/session/list"] + c["/im/message/list"]
}

// delivered waits until the simulator has no push in flight.
func (r *rig) delivered(t testing.TB) {
	t.Helper()
	bridgetest.Eventually(t, "pushes delivered", func() bool { return r.sim.LazadaPushStats().InFlight == 0 })
}

// fakeRecorder is a tiny lazada.PushRecorder: it records every Record
// call, knows the conversations recorded before (or told), and can be made
// to fail or to block until the push's deadline.
type fakeRecorder struct {
	mu      sync.Mutex
	records []recorded
	known   map[bridge.ConversationID]bool
	seen    int
	fail    error
	block   bool
	changed chan struct{}
}

type recorded struct {
	shopID string
	conv   bridge.Conversation
	msg    bridge.Message
}

func newFakeRecorder() *fakeRecorder {
	return &fakeRecorder{known: map[bridge.ConversationID]bool{}, changed: make(chan struct{})}
}

func (f *fakeRecorder) Record(ctx context.Context, p bridge.Platform, shopID string, c bridge.Conversation, msgs []bridge.Message) error {
	f.mu.Lock()
	block, fail := f.block, f.fail
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	if fail != nil {
		return fail
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range msgs {
		f.records = append(f.records, recorded{shopID, c, m})
	}
	f.known[c.ID] = true
	close(f.changed)
	f.changed = make(chan struct{})
	return nil
}

func (f *fakeRecorder) Known(ctx context.Context, p bridge.Platform, shopID string, c bridge.ConversationID) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.known[c], nil
}

func (f *fakeRecorder) Seen(p bridge.Platform, shopID string) {
	f.mu.Lock()
	f.seen++
	f.mu.Unlock()
}

func (f *fakeRecorder) all() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.records...)
}

func (f *fakeRecorder) seenCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen
}

func (f *fakeRecorder) set(fn func(f *fakeRecorder)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

// byID returns the recorded versions of a message, in order.
func (f *fakeRecorder) byID(id string) []recorded {
	var out []recorded
	for _, r := range f.all() {
		if string(r.msg.ID) == id {
			out = append(out, r)
		}
	}
	return out
}

// withEngine gives the rig's client a real bridge.Pushes with the real
// engine attached (platformtest.Recorder); build the rig with
// rigOptions{pushes: p}. The simulator and the push server stop before
// the engine does, so no push is half recorded when it stops.
func (r *rig) withEngine(t testing.TB, p *bridge.Pushes) *platformtest.Recorder {
	rec := platformtest.AttachRecorder(t, p, openState, r.store)
	t.Cleanup(func() { r.sim.Close(); r.srv.Close() })
	return rec
}

// push posts body to the client's push endpoint, signed as Lazada does.
func (r *rig) push(t testing.TB, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.pushURL, bytes.NewReader(body))
	req.Header.Set("Authorization", simulator.LazadaPushSignature(r.cfg.AppKey, r.cfg.AppSecret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type simMessage = simulator.Message

var simulatorIMPushBody = simulator.LazadaIMPushBody

type lazadaConfig = lazada.Config
