package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// FaultKind is one kind of injected failure. Faults are shared by every
// dialect: each renders the platform errors in its own format.
type FaultKind string

// Fault kinds.
const (
	// FaultRefuse closes the API listener: connections are refused (and open
	// ones closed) until the fault is cleared or its For lapses. Only with Start.
	FaultRefuse FaultKind = "refuse"
	// FaultHang holds matching requests until the client gives up or the
	// fault is cleared.
	FaultHang FaultKind = "hang"
	// FaultSlow delays matching responses by Delay on the simulator's clock.
	FaultSlow FaultKind = "slow"
	// FaultHTTP5xx answers with a bare HTTP status (Status, default 503) and
	// a non-JSON body, as a gateway in front of the API would.
	FaultHTTP5xx FaultKind = "http_5xx"
	// FaultHTTP429 answers HTTP 429 with a Retry-After header (RetryAfter,
	// default 1s) and a non-JSON body.
	FaultHTTP429 FaultKind = "http_429"
	// FaultErrorServer answers the platform's server error envelope
	// (Shopee: "error_server").
	FaultErrorServer FaultKind = "error_server"
	// FaultErrorRateLimit answers the platform's rate-limit envelope
	// (Shopee: "error_rate_limit").
	FaultErrorRateLimit FaultKind = "error_rate_limit"
	// FaultDropPushes does not deliver matching pushes; they go to the lost
	// push list, as when the callback is unreachable.
	FaultDropPushes FaultKind = "drop_pushes"
	// FaultShufflePages shuffles the order inside list pages.
	FaultShufflePages FaultKind = "shuffle_pages"
	// FaultRepeatPages makes consecutive list pages overlap by one entry.
	FaultRepeatPages FaultKind = "repeat_pages"
)

// Fault is one injected failure.
type Fault struct {
	Kind FaultKind `json:"kind"`
	// Path limits the fault to API paths containing it ("get_message",
	// "/api/v2/sellerchat/"); empty matches every API path.
	Path string `json:"path,omitempty"`
	// ShopID limits the fault to requests (or pushes) of one shop.
	ShopID string `json:"shop_id,omitempty"`
	// Contains limits the fault to API requests whose query or body (URL
	// and form encoding undone) contains it: a reply's text singles out
	// the sends of that reply, whatever else the shop sends meanwhile.
	// Pushes and webhooks never match it.
	Contains string `json:"contains,omitempty"`
	// Platform limits the fault to one dialect's requests and pushes
	// (shopee, lazada, tiktok): an outage of one marketplace while the
	// others keep working. A refuse fault with a Platform does not close
	// the shared listener: that dialect's requests have their connection
	// closed instead (so a send may have reached it, unlike a refused
	// dial).
	Platform bridge.Platform `json:"platform,omitempty"`
	// Count is how many requests the fault affects before it lapses; 0
	// means until cleared.
	Count int `json:"count,omitempty"`
	// Status is the HTTP status of http_5xx (default 503) and of the error
	// envelopes (defaults in shopee_unverified.go).
	Status int `json:"status,omitempty"`
	// Delay is the added latency of slow.
	Delay time.Duration `json:"-"`
	// RetryAfter is the Retry-After of http_429.
	RetryAfter time.Duration `json:"-"`
	// For lapses the fault after this long on the simulator's clock; 0
	// means until cleared (or Count is used up).
	For time.Duration `json:"-"`
}

// MarshalJSON writes durations as Go duration strings.
func (f Fault) MarshalJSON() ([]byte, error) {
	type plain Fault
	j := struct {
		plain
		Delay      string `json:"delay,omitempty"`
		RetryAfter string `json:"retry_after,omitempty"`
		For        string `json:"for,omitempty"`
	}{plain: plain(f)}
	if f.Delay > 0 {
		j.Delay = f.Delay.String()
	}
	if f.RetryAfter > 0 {
		j.RetryAfter = f.RetryAfter.String()
	}
	if f.For > 0 {
		j.For = f.For.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads durations as Go duration strings ("250ms", "2s").
func (f *Fault) UnmarshalJSON(b []byte) error {
	type plain Fault
	var j struct {
		plain
		Delay      string `json:"delay"`
		RetryAfter string `json:"retry_after"`
		For        string `json:"for"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Fault(j.plain)
	for _, d := range []struct {
		s   string
		dst *time.Duration
		key string
	}{{j.Delay, &f.Delay, "delay"}, {j.RetryAfter, &f.RetryAfter, "retry_after"}, {j.For, &f.For, "for"}} {
		if d.s == "" {
			continue
		}
		v, err := time.ParseDuration(d.s)
		if err != nil {
			return fmt.Errorf("fault %s: %w", d.key, err)
		}
		*d.dst = v
	}
	return nil
}

var knownFaults = map[FaultKind]bool{
	FaultRefuse: true, FaultHang: true, FaultSlow: true, FaultHTTP5xx: true, FaultHTTP429: true,
	FaultErrorServer: true, FaultErrorRateLimit: true, FaultDropPushes: true, FaultShufflePages: true, FaultRepeatPages: true,
}

// validate checks a fault before it is installed.
func (f Fault) validate() error {
	if !knownFaults[f.Kind] {
		return fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	if f.Kind == FaultSlow && f.Delay <= 0 {
		return fmt.Errorf("fault slow needs a positive delay")
	}
	switch f.Platform {
	case "", bridge.PlatformShopee, bridge.PlatformLazada, bridge.PlatformTikTok:
	default:
		return fmt.Errorf("fault platform %q is not shopee, lazada or tiktok", f.Platform)
	}
	if f.Count < 0 || f.For < 0 {
		return fmt.Errorf("fault count and for must not be negative")
	}
	return nil
}

// FaultID identifies an installed fault.
type FaultID int

// ActiveFault is an installed fault with what is left of it.
type ActiveFault struct {
	ID    FaultID `json:"id"`
	Fault Fault   `json:"fault"`
	// Remaining is the count left (0 when the fault has no count).
	Remaining int `json:"remaining"`
	// Until is when the fault lapses (zero when it has no For).
	Until time.Time `json:"until,omitzero"`
}

// faults is the shared fault table.
type faults struct {
	mu      sync.Mutex
	next    FaultID
	active  []*ActiveFault
	changed chan struct{} // closed and replaced on every change
	// cleared counts removals by ClearFault(s) or lapse; a hanging request
	// is released by the next one.
	cleared int
}

func newFaults() *faults { return &faults{changed: make(chan struct{})} }

func (fs *faults) add(f Fault, now time.Time) FaultID {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.next++
	a := &ActiveFault{ID: fs.next, Fault: f, Remaining: f.Count}
	if f.For > 0 {
		a.Until = now.Add(f.For)
	}
	fs.active = append(fs.active, a)
	fs.notifyLocked()
	return a.ID
}

// remove drops one fault (all when id is 0) and returns the removed ones.
func (fs *faults) remove(id FaultID) []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var removed []Fault
	kept := fs.active[:0]
	for _, a := range fs.active {
		if id == 0 || a.ID == id {
			removed = append(removed, a.Fault)
		} else {
			kept = append(kept, a)
		}
	}
	fs.active = kept
	fs.cleared++
	fs.notifyLocked()
	return removed
}

func (fs *faults) clearedCount() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.cleared
}

func (fs *faults) list(now time.Time) []ActiveFault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.expireLocked(now)
	out := make([]ActiveFault, 0, len(fs.active))
	for _, a := range fs.active {
		out = append(out, *a)
	}
	return out
}

// take returns the active faults among kinds that match path and shopID,
// in installation order, consuming one use of each counted fault. A fault
// with Contains never matches here (see takeRequest).
func (fs *faults) take(now time.Time, platform bridge.Platform, path, shopID string, kinds ...FaultKind) []ActiveFault {
	return fs.takeRequest(now, platform, path, shopID, "", kinds...)
}

// takeRequest is take for an API request whose query and body are
// request, which a fault's Contains is looked for in.
func (fs *faults) takeRequest(now time.Time, platform bridge.Platform, path, shopID, request string, kinds ...FaultKind) []ActiveFault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.expireLocked(now)
	var out []ActiveFault
	kept := fs.active[:0]
	for _, a := range fs.active {
		match := false
		for _, k := range kinds {
			match = match || a.Fault.Kind == k
		}
		match = match && (a.Fault.Path == "" || strings.Contains(path, a.Fault.Path)) &&
			(a.Fault.ShopID == "" || a.Fault.ShopID == shopID) &&
			(a.Fault.Platform == "" || a.Fault.Platform == platform) &&
			(a.Fault.Contains == "" || (request != "" && strings.Contains(request, a.Fault.Contains)))
		if match {
			out = append(out, *a)
			if a.Fault.Count > 0 {
				a.Remaining--
				if a.Remaining <= 0 {
					continue // used up
				}
			}
		}
		kept = append(kept, a)
	}
	if len(kept) != len(fs.active) {
		fs.active = kept
		fs.notifyLocked()
	} else {
		fs.active = kept
	}
	return out
}

func (fs *faults) expireLocked(now time.Time) {
	kept := fs.active[:0]
	for _, a := range fs.active {
		if a.Until.IsZero() || now.Before(a.Until) {
			kept = append(kept, a)
		}
	}
	if len(kept) != len(fs.active) {
		fs.active = kept
		fs.cleared++
		fs.notifyLocked()
	}
}

// wait returns a channel closed at the next change of the table.
func (fs *faults) wait() <-chan struct{} {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.changed
}

func (fs *faults) notifyLocked() {
	close(fs.changed)
	fs.changed = make(chan struct{})
}

// requestFaults are the kinds applied to an API request before it is handled.
var requestFaults = []FaultKind{FaultHang, FaultSlow, FaultHTTP5xx, FaultHTTP429, FaultErrorServer, FaultErrorRateLimit}

// errorWriter renders a platform error envelope (error_server,
// error_rate_limit) in a dialect's format.
type errorWriter func(w http.ResponseWriter, kind FaultKind, status int)

// applyFaults runs the request faults matching path and shopID. It reports
// whether it answered the request (the handler must then stop).
func (s *Simulator) applyFaults(w http.ResponseWriter, r *http.Request, platform bridge.Platform, path, shopID string, render errorWriter) bool {
	if s.faults.refusing(platform, s.clock.Now()) {
		// Only reached when the handler is mounted on someone else's
		// listener (or a request raced the close): drop the connection.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true
			}
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	for _, af := range s.faults.takeRequest(s.clock.Now(), platform, path, shopID, requestText(r), requestFaults...) {
		f := af.Fault
		switch f.Kind {
		case FaultSlow:
			select {
			case <-s.clock.After(f.Delay):
			case <-r.Context().Done():
				return true
			case <-s.closed:
				return true
			}
		case FaultHang:
			if !s.hang(r, af) {
				return true
			}
		case FaultHTTP5xx:
			status := f.Status
			if status < 500 || status > 599 {
				status = http.StatusServiceUnavailable
			}
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>\n", status, http.StatusText(status))
			return true
		case FaultHTTP429:
			ra := f.RetryAfter
			if ra <= 0 {
				ra = time.Second
			}
			w.Header().Set("Retry-After", fmt.Sprint(int(ra.Round(time.Second)/time.Second)))
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprintln(w, "Too Many Requests")
			return true
		case FaultErrorServer, FaultErrorRateLimit:
			render(w, f.Kind, f.Status)
			return true
		}
	}
	return false
}

// requestText is a request's query and body as a fault's Contains sees
// them: URL and form encoding undone. The body is read and put back for
// the handler.
func requestText(r *http.Request) string {
	var b strings.Builder
	if r.Form != nil {
		// Parsed already (Lazada): the query and the form body together.
		for k, vs := range r.Form {
			for _, v := range vs {
				b.WriteString(k + "=" + v + "\n")
			}
		}
		return b.String()
	}
	if q, err := url.QueryUnescape(r.URL.RawQuery); err == nil {
		b.WriteString(q)
	} else {
		b.WriteString(r.URL.RawQuery)
	}
	if r.Body != nil {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err == nil {
			b.WriteByte('\n')
			if u, err := url.QueryUnescape(string(body)); err == nil && strings.Contains(r.Header.Get("Content-Type"), "form") {
				b.WriteString(u)
			} else {
				b.Write(body)
			}
		}
	}
	return b.String()
}

// hang holds the request until the client gives up, the simulator closes,
// or the fault is cleared or lapses; it reports whether the request should
// go on.
func (s *Simulator) hang(r *http.Request, af ActiveFault) bool {
	gen := s.faults.clearedCount()
	var lapse <-chan time.Time
	if !af.Until.IsZero() {
		lapse = s.clock.After(af.Until.Sub(s.clock.Now()))
	}
	for {
		ch := s.faults.wait()
		if s.faults.clearedCount() != gen {
			return true
		}
		select {
		case <-r.Context().Done():
			return false
		case <-s.closed:
			return false
		case <-lapse:
			return true
		case <-ch:
		}
	}
}

// refusing reports whether a refuse fault covers platform's requests: an
// unscoped one (the listener is closed; only a request racing the close
// gets here) or one scoped to the platform.
func (fs *faults) refusing(platform bridge.Platform, now time.Time) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.expireLocked(now)
	for _, a := range fs.active {
		if a.Fault.Kind == FaultRefuse && (a.Fault.Platform == "" || a.Fault.Platform == platform) {
			return true
		}
	}
	return false
}

// listenerRefused reports whether an unscoped refuse fault is active (the
// listener stays closed).
func (fs *faults) listenerRefused(now time.Time) bool { return fs.refusing("", now) }
