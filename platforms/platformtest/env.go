// Package platformtest is the marketplace contract suite: every marketplace
// client, run against a Backend of its platform, must pass it. It
// checks what the bridge relies on: paging through many conversations and
// messages, never missing or repeating a message when pages come out of
// order or repeat, getting a sent message's ID back (so the echo is
// suppressed), refreshing an expired token and persisting the new refresh
// token first, classifying bad signatures, rate limits, 5xx and outages,
// and verifying pushes (right, wrong, missing, replayed).
//
// A client's test calls Run with a Factory that wires a fresh backend and
// client:
//
//	func TestContract(t *testing.T) { platformtest.Run(t, newEnv) }
//
// The suite drives and inspects the marketplace only through the Env's
// Backend, in its own terms (Message, Fault, …); what differs between
// platforms goes through the Backend's Dialect (message types, seller-side
// messages, API paths, push target). platforms/simulator/simcontract makes
// a Backend of the simulator's dialects; platformtest itself imports no
// simulator and no state adapter.
//
// A push-driven client (bridge.PushDriven, with Env.Pushes set) runs the
// push-first contract: new messages arrive by push into a real engine the
// suite attaches as a Recorder (on the state Env.OpenState opens), the IM
// lists must never be called for them, and the list-paging cases run
// against ImportHistory instead.
package platformtest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// Options vary the client a Factory builds.
type Options struct {
	// WrongKey signs with a partner/app key the backend does not know.
	WrongKey bool
	// Timeout is the client's per-attempt HTTP timeout (default 5s).
	Timeout time.Duration
}

// Env is one client wired to a fresh, started backend holding Store's shop.
type Env struct {
	Client bridge.Marketplace
	// Backend is the marketplace the client talks to.
	Backend Backend
	Store   bridge.Store
	Tokens  *MemTokens
	// Clock is the fake clock of the client and the backend.
	Clock *bridgetest.Clock
	Hints *bridge.Hints

	// Push is the client's push endpoint; PushURL the public URL the
	// platform signs; SignPush returns the header that authenticates body.
	Push     http.Handler
	PushURL  string
	SignPush func(body []byte) (header, value string)
	// PushBody is a valid push for the store's shop at the given time.
	PushBody func(at time.Time) []byte
	// RecoverLostPushes fetches and confirms pushes the platform could not
	// deliver; nil when the platform has no such API.
	RecoverLostPushes func(ctx context.Context) error

	// Pushes is the bridge.Pushes the client's push endpoint records the
	// messages pushes carry into (Lazada's IM pushes, TikTok Shop's
	// webhooks); the suite attaches a Recorder to it, and the backend must
	// push to the client's endpoint from the start. For a push-driven
	// client (bridge.PushDriven) the suite runs the push-first contract; for
	// a polled one (TikTok Shop) the polling contract, where every message
	// must also reach the Recorder by push. Nil runs the polling contract
	// with pushes as hints (Shopee).
	Pushes *bridge.Pushes
	// OpenState opens the fresh state the Recorder's engine runs on (SQLite
	// in memory, say); required with Pushes.
	OpenState OpenState
	// Recorder is what the suite attached to Pushes.
	Recorder *Recorder
	// PushRetry is how long the backend waits, on Clock, before it
	// delivers again a push that was not acknowledged (push-first mode).
	PushRetry time.Duration
	// Quiesce stops the backend's pushes and waits until the client's
	// push endpoint handles none (close the backend, then the push
	// server). With Pushes set the suite calls it before the Recorder's
	// engine stops, which must not happen with a push half recorded.
	Quiesce func()
}

// PushFirst reports whether the Env runs the push-first contract: the
// client is bridge.PushDriven and records pushes into Pushes.
func (e *Env) PushFirst() bool {
	_, ok := e.Client.(bridge.PushDriven)
	return ok && e.Pushes != nil
}

// Factory builds a fresh Env; it registers its own cleanup on t.
type Factory func(t testing.TB, o Options) *Env

// Pump advances env's fake clock to the next timer whenever something waits
// on it (backoffs, rate limiters), until the test ends.
func (e *Env) Pump(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for e.Clock.BlockUntil(ctx, 1) == nil {
			if d, ok := e.Clock.NextTimer(); ok {
				e.Clock.Advance(d)
			}
		}
	}()
}

// Start is the fake clock's start time in every Env built by the suite's
// own factories; factories should use it so failures read the same.
var Start = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
