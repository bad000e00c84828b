package slack

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/shopbridge/shopbridge/bots/slack/fakeslack"
	"github.com/shopbridge/shopbridge/bridge"
)

// A Web API call to a Slack that accepts and never answers ends when the
// surface's calls are aborted, whatever its caller's context, and a call
// made afterwards fails at once without reaching Slack.
func TestAbortCallsCutsCallsInFlightAndRefusesLaterOnes(t *testing.T) {
	var asked atomic.Int32
	arrived := make(chan struct{}, 1)
	stop := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(func() { close(stop); silent.Close() })
	cfg := testConfig(fakeslack.New())
	cfg.APIURL = silent.URL + "/"
	s, err := New(cfg, Deps{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() {
		// As the core posts: on a context a stop does not cut.
		_, err := s.OpenThread(context.Background(), header(store("s1", "MY", ""), "c1"))
		done <- err
	}()
	<-arrived
	s.AbortCalls()
	// The test's deadline is the failure condition, not a measured speed.
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RequestTimeout/2)
	defer cancel()
	select {
	case err := <-done:
		var pe *bridge.PlatformError
		if !errors.As(err, &pe) || pe.Kind != bridge.KindTransient || !errors.Is(err, errAborted) {
			t.Fatalf("a cut call returned %v, want a transient error saying it was cut at shutdown", err)
		}
	case <-ctx.Done():
		t.Fatal("the call in flight was not cut by AbortCalls")
	}
	before := asked.Load()
	_, err = s.OpenThread(context.Background(), header(store("s1", "MY", ""), "c2"))
	var pe *bridge.PlatformError
	if !errors.As(err, &pe) || !pe.NotDelivered || asked.Load() != before {
		t.Fatalf("a call after AbortCalls: %v (asked Slack %d more times), want it refused at once as not delivered", err, asked.Load()-before)
	}
}
