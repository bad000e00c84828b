package bridge

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

// Refusals counts the requests the bridge's listener refuses (forged or
// stale signatures, wrong webhook secrets, unknown authorization states,
// bodies too large or too slow) and keeps their log bounded.
//
// Anyone who can reach the listener can send such requests, so one log line
// per refusal would let a flood of forgeries fill the disk (2,000 forged
// pushes made 400 KB of WARN lines). The rule, per endpoint and reason:
//   - the first refusal is logged at once, at WARN, with its details;
//   - later ones are counted, and at most one summary line per interval
//     (DefaultRefusalLogInterval) says how many were refused since the
//     previous line. A summary is written by the first refusal after the
//     interval, or by Run when the interval passes, so a flood that stops
//     still gets its count logged;
//   - totals per endpoint and reason are kept for metrics (Counts), since
//     the log no longer shows every refusal.
//
// Endpoint and reason must be fixed strings chosen by the code (they are
// metric labels and map keys), never request data; details such as the
// remote address go in the attributes of Refuse, which only the first line
// of a kind carries. Secrets (signatures, tokens) belong in neither.
//
// A Refusals is safe for concurrent use; a nil *Refusals ignores everything.
type Refusals struct {
	log      *slog.Logger
	clock    Clock
	interval time.Duration

	mu    sync.Mutex
	kinds map[refusalKey]*refusalKind
}

// DefaultRefusalLogInterval is how often a kind of refusal is summarised in
// the log at most.
const DefaultRefusalLogInterval = time.Minute

// maxRefusalKinds bounds the kinds tracked; further ones are counted as
// endpoint "other", reason "other". Kinds are fixed strings in the code, so
// this is only a guard against a caller passing request data.
const maxRefusalKinds = 256

type refusalKey struct{ endpoint, reason string }

type refusalKind struct {
	total uint64
	// pending were refused since the last line of this kind.
	pending uint64
	// lastLine is when the last line of this kind was logged.
	lastLine time.Time
}

// RefusalCount is how many requests an endpoint refused for one reason
// since the start.
type RefusalCount struct {
	Endpoint string
	Reason   string
	Total    uint64
}

// NewRefusals returns an empty counter that logs to log (nil: discarded) on
// clock (nil: the system clock), summarising each kind at most once per
// interval (<= 0: DefaultRefusalLogInterval).
func NewRefusals(log *slog.Logger, clock Clock, interval time.Duration) *Refusals {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clock == nil {
		clock = SystemClock{}
	}
	if interval <= 0 {
		interval = DefaultRefusalLogInterval
	}
	return &Refusals{log: log, clock: clock, interval: interval, kinds: map[refusalKey]*refusalKind{}}
}

// Interval is the shortest time between two lines of one kind.
func (r *Refusals) Interval() time.Duration {
	if r == nil {
		return DefaultRefusalLogInterval
	}
	return r.interval
}

// Refuse records one refused request of endpoint for reason. The first of
// its kind is logged with attrs (slog key-value pairs: the remote address,
// a hint for the operator); later ones only as counts (see Refusals).
func (r *Refusals) Refuse(endpoint, reason string, attrs ...any) {
	if r == nil {
		return
	}
	now := r.clock.Now()
	r.mu.Lock()
	k := refusalKey{endpoint, reason}
	kind, ok := r.kinds[k]
	if !ok && len(r.kinds) >= maxRefusalKinds {
		k = refusalKey{"other", "other"}
		kind, ok = r.kinds[k]
	}
	if !ok {
		kind = &refusalKind{total: 1, lastLine: now}
		r.kinds[k] = kind
		r.mu.Unlock()
		args := append([]any{"endpoint", k.endpoint, "reason", k.reason}, attrs...)
		args = append(args, "then", "further refusals of this kind are logged as a count at most once per "+r.interval.String())
		r.log.Warn("request refused", args...)
		return
	}
	kind.total++
	kind.pending++
	line, due := r.dueLocked(k, kind, now, false)
	r.mu.Unlock()
	if due {
		r.logSummary(line)
	}
}

// summary is one count line about to be logged.
type summary struct {
	key          refusalKey
	count, total uint64
	over         time.Duration
}

// dueLocked takes kind's pending count for a summary line when one is due:
// when there are refusals not yet logged and the interval since the last
// line has passed (or always, with force).
func (r *Refusals) dueLocked(k refusalKey, kind *refusalKind, now time.Time, force bool) (summary, bool) {
	if kind.pending == 0 || (!force && now.Sub(kind.lastLine) < r.interval) {
		return summary{}, false
	}
	s := summary{key: k, count: kind.pending, total: kind.total, over: now.Sub(kind.lastLine)}
	kind.pending = 0
	kind.lastLine = now
	return s, true
}

func (r *Refusals) logSummary(s summary) {
	r.log.Warn("requests refused", "endpoint", s.key.endpoint, "reason", s.key.reason,
		"count", s.count, "over", s.over.Round(time.Second), "total", s.total)
}

// Flush logs the summaries that are due; with force, of every kind with
// refusals not yet logged, whatever the interval (at stop).
func (r *Refusals) Flush(force bool) {
	if r == nil {
		return
	}
	now := r.clock.Now()
	r.mu.Lock()
	var lines []summary
	for k, kind := range r.kinds {
		if s, ok := r.dueLocked(k, kind, now, force); ok {
			lines = append(lines, s)
		}
	}
	r.mu.Unlock()
	sort.Slice(lines, func(i, j int) bool { return lessKey(lines[i].key, lines[j].key) })
	for _, s := range lines {
		r.logSummary(s)
	}
}

// Run writes the due summaries every interval until ctx ends, then the ones
// still pending, so the count of a flood that stopped reaches the log.
func (r *Refusals) Run(ctx context.Context) {
	if r == nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			r.Flush(true)
			return
		case <-r.clock.After(r.interval):
		}
		r.Flush(false)
	}
}

// Counts returns the totals per endpoint and reason, sorted.
func (r *Refusals) Counts() []RefusalCount {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	out := make([]RefusalCount, 0, len(r.kinds))
	for k, kind := range r.kinds {
		out = append(out, RefusalCount{Endpoint: k.endpoint, Reason: k.reason, Total: kind.total})
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		return lessKey(refusalKey{out[i].Endpoint, out[i].Reason}, refusalKey{out[j].Endpoint, out[j].Reason})
	})
	return out
}

// Total is how many requests endpoint refused for reason.
func (r *Refusals) Total(endpoint, reason string) uint64 {
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if kind, ok := r.kinds[refusalKey{endpoint, reason}]; ok {
		return kind.total
	}
	return 0
}

func lessKey(a, b refusalKey) bool {
	if a.endpoint != b.endpoint {
		return a.endpoint < b.endpoint
	}
	return a.reason < b.reason
}

// Reasons for a request body that could not be read, shared by every
// endpoint that reads one.
const (
	ReasonBodyTooLarge   = "body_too_large"
	ReasonBodyTimeout    = "body_timeout"
	ReasonBodyUnreadable = "body_unreadable"
)

// BodyRefusal classifies a failed read of a request body into the answer
// and the refusal reason: 413 only when the body went over its limit
// (*http.MaxBytesError), 408 when the client was too slow and the server's
// read deadline passed, 400 for anything else (the client went away). A
// slow client is not a large one: answering it 413 sends the operator
// looking for a size problem that does not exist.
func BodyRefusal(err error) (status int, reason string) {
	var tooLarge *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, ReasonBodyTooLarge
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return http.StatusRequestTimeout, ReasonBodyTimeout
	}
	return http.StatusBadRequest, ReasonBodyUnreadable
}
