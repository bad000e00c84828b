package console

import (
	"bufio"
	"context"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
)

// maxLine bounds one input line (a long pasted reply still fits).
const maxLine = 1 << 20

// Listen reads the input line by line until ctx ends, delivering replies,
// button presses and commands to h. Closed or absent input does not end
// it: the bridge keeps running (and the demo's scripted agents keep
// answering) until ctx is done.
func (s *Surface) Listen(ctx context.Context, h bridge.ChatHandler) error {
	var lines <-chan string
	if s.in != nil {
		s.out.print(s.paint.paint(styleDim, `console ready — type "help" for commands, "/help" for the bridge's`))
		s.startReader()
		lines = s.lines
	}
	h.SurfaceHealth(true, nil)
	s.setHandler(h)
	defer s.clearHandler(h)
	// Commands still running end with ctx; their answers are printed
	// before Listen returns.
	defer s.commands.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case line := <-lines:
			if ctx.Err() != nil {
				// Stopping: say so rather than half-handle the line.
				if strings.TrimSpace(line) != "" {
					s.out.print(renderStopping(s.paint, line))
				}
				return nil
			}
			s.handleLine(ctx, h, line)
		}
	}
}

// startReader starts the one goroutine that reads In, shared by every
// Listen (an engine restarted in the same process listens again; two readers
// would split the input between them). A blocked read of a terminal cannot
// be interrupted, so the reader lives as long as its input: it ends at EOF.
func (s *Surface) startReader() {
	s.readerOnce.Do(func() {
		go func() {
			sc := bufio.NewScanner(s.in)
			sc.Buffer(make([]byte, 0, 4096), maxLine)
			for sc.Scan() {
				s.lines <- sc.Text()
			}
			if err := sc.Err(); err != nil {
				s.log.Warn("console: input failed; the bridge keeps running without it", "err", err)
				return
			}
			s.log.Info("console: input closed; the bridge keeps running")
		}()
	})
}

func (s *Surface) setHandler(h bridge.ChatHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handler = h
	select {
	case <-s.ready:
	default:
		close(s.ready)
	}
}

// clearHandler forgets h when its Listen ends, so Say and Press wait for
// the next Listen instead of calling into a stopped bridge.
func (s *Surface) clearHandler(h bridge.ChatHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handler == h {
		s.handler = nil
		s.ready = make(chan struct{})
	}
}

// Ready is closed while the surface listens.
func (s *Surface) Ready() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ready
}

// waitHandler returns the handler of the running Listen, waiting for one.
func (s *Surface) waitHandler(ctx context.Context) (bridge.ChatHandler, error) {
	for {
		s.mu.Lock()
		h, ready := s.handler, s.ready
		s.mu.Unlock()
		if h != nil {
			return h, nil
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
