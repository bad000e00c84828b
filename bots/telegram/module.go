package telegram

import (
	"log/slog"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bridge"
)

// Params are what Module takes from the application: the `telegram:`
// config section, a logger, and optionally the clock, the HTTP listener
// (required in webhook mode) and a MetaStore (bridge.State fits).
type Params struct {
	fx.In

	Config Config
	Logger *slog.Logger
	Clock  bridge.Clock  `optional:"true"`
	Routes bridge.Routes `optional:"true"`
	Meta   MetaStore     `optional:"true"`
	// Refusals is the application's counter of refused requests.
	Refusals *bridge.Refusals `optional:"true"`
}

// Module provides the surface as *Surface and as bridge.Chat. Nothing runs
// until the engine calls Listen.
var Module = fx.Module("telegram",
	fx.Provide(
		func(p Params) (*Surface, error) {
			return New(p.Config, Deps{Logger: p.Logger, Clock: p.Clock, Routes: p.Routes, Meta: p.Meta, Refusals: p.Refusals})
		},
		func(s *Surface) bridge.Chat { return s },
	),
)
