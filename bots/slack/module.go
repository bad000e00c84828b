package slack

import (
	"log/slog"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bridge"
)

// Params are the surface's fx inputs. The application supplies Config (the
// `slack:` section); Logger, Clock and Routes are optional except Routes in
// HTTP mode.
type Params struct {
	fx.In

	Config Config
	Logger *slog.Logger  `optional:"true"`
	Clock  bridge.Clock  `optional:"true"`
	Routes bridge.Routes `optional:"true"`
	// Refusals is the application's counter of refused requests.
	Refusals *bridge.Refusals `optional:"true"`
}

// NewFromParams is New for fx.
func NewFromParams(p Params) (*Surface, error) {
	return New(p.Config, Deps{Logger: p.Logger, Clock: p.Clock, Routes: p.Routes, Refusals: p.Refusals})
}

// Module provides the Slack surface as *Surface and as bridge.Chat. The
// engine runs it (Listen); the surface has no lifecycle hooks of its own.
var Module = fx.Module("slack",
	fx.Provide(
		fx.Annotate(NewFromParams, fx.As(fx.Self()), fx.As(new(bridge.Chat))),
	),
)
