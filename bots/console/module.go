package console

import (
	"io"
	"log/slog"
	"os"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bridge"
)

// Streams are where the surface prints and reads. Without them, Module uses
// the process's standard output and input.
type Streams struct {
	Out io.Writer
	// In may be nil: no input.
	In io.Reader
}

// Params are what Module takes from the application: the `console:` config
// section and, optionally, a logger, the clock, a MetaStore (bridge.State
// fits, supplied as console.MetaStore) and the streams.
type Params struct {
	fx.In

	Config  Config
	Logger  *slog.Logger `optional:"true"`
	Clock   bridge.Clock `optional:"true"`
	Meta    MetaStore    `optional:"true"`
	Replies ReplyStore   `optional:"true"`
	Streams *Streams     `optional:"true"`
}

// NewFromParams is New for fx.
func NewFromParams(p Params) (*Surface, error) {
	deps := Deps{Out: os.Stdout, In: os.Stdin, Logger: p.Logger, Clock: p.Clock, Meta: p.Meta, Replies: p.Replies}
	if p.Streams != nil {
		deps.Out, deps.In = p.Streams.Out, p.Streams.In
	}
	return New(p.Config, deps)
}

// Module provides the console surface as *Surface and as bridge.Chat. It
// has no lifecycle hooks: the engine runs it by calling Listen.
var Module = fx.Module("console",
	fx.Provide(
		fx.Annotate(NewFromParams, fx.As(fx.Self()), fx.As(new(bridge.Chat))),
	),
)
