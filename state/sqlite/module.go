package sqlite

import (
	"context"
	"log/slog"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bridge"
)

// Params are the backend's fx inputs. The application supplies Config (the
// `sqlite:` section of the state configuration); Logger is optional.
type Params struct {
	fx.In

	Lifecycle fx.Lifecycle
	Config    Config
	Logger    *slog.Logger `optional:"true"`
}

// NewFromParams opens the database (applying migrations) for the
// application alone (WithExclusive: SQLite is single-replica, a second
// application on the file is refused) and closes it when the application
// stops, after everything that uses it.
func NewFromParams(p Params) (*DB, error) {
	db, err := OpenConfig(context.Background(), p.Config, WithLogger(p.Logger), WithExclusive(true))
	if err != nil {
		return nil, err
	}
	p.Lifecycle.Append(fx.StopHook(db.Close))
	return db, nil
}

// Module provides the SQLite state as *DB and as bridge.State.
var Module = fx.Module("state.sqlite",
	fx.Provide(
		fx.Annotate(NewFromParams, fx.As(fx.Self()), fx.As(new(bridge.State))),
	),
)
