package simulator

import (
	"bytes"
	"context"
	"net/http"
	"sync"
)

// What the dialects share of push delivery: a bounded queue drained in
// order by one goroutine, and the signed POST. What a push says, when it
// is delivered again and what is counted stay in each dialect's push file.

// pushQueueSize bounds each dialect's queue of pushes not yet attempted.
const pushQueueSize = 10000

// pushQueue is a dialect's delivery queue: startPushes starts the goroutine
// that drains it, and wg also counts the goroutines of redeliveries, which
// wait (the dialect's wait) waits for after Close.
type pushQueue[T any] struct {
	q    chan T
	once sync.Once
	wg   sync.WaitGroup
}

func (p *pushQueue[T]) init() { p.q = make(chan T, pushQueueSize) }

// offer queues job without blocking; it reports whether there was room.
func (p *pushQueue[T]) offer(job T) bool {
	select {
	case p.q <- job:
		return true
	default:
		return false
	}
}

// start starts the delivery goroutine (once): every job goes to deliver in
// queue order, on a context that ends when closed is closed.
func (p *pushQueue[T]) start(closed <-chan struct{}, deliver func(ctx context.Context, job T)) {
	p.once.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			<-closed
			cancel()
		}()
		go func() {
			defer p.wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case job := <-p.q:
					deliver(ctx, job)
				}
			}
		}()
	})
}

// wait waits for delivery and redeliveries to stop (after Close).
func (p *pushQueue[T]) wait() { p.wg.Wait() }

// postPush posts a push body to url as the marketplaces do (JSON, the
// signature in Authorization) and returns the answer's status: 0 when none
// came, logged at debug level as "<what> not delivered".
func (s *Simulator) postPush(ctx context.Context, hc *http.Client, url string, body []byte, signature, what string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", signature)
	resp, err := hc.Do(req)
	if err != nil {
		s.log.Debug(what+" not delivered", "err", err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
