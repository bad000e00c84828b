package lease

import (
	"crypto/rand"
	"encoding/hex"
	"os"

	"github.com/shopbridge/shopbridge/bridge"
)

// The names of the jobs that must run once across replicas.
const (
	// TelegramUpdates is the Telegram update consumer (long polling allows
	// one consumer per bot token).
	TelegramUpdates = "telegram-updates"
	// Report is the daily report scheduler.
	Report = "report"
	// Alerts is the publishing of connectivity alerts.
	Alerts = "alerts"
)

// Store is the lease of a store: its syncer, its token refresh (a
// single-use refresh token must be spent by one replica) and the
// processing of its pushes.
func Store(id bridge.StoreID) string { return "store:" + string(id) }

// Destination is the lease of a chat destination: its poster from the
// inbound queue.
func Destination(dest string) string { return "dest:" + dest }

// NewHolderID returns an ID for this replica: the host name and a random
// suffix, so that a restarted replica is a new holder (its predecessor's
// leases are taken over with new tokens, never silently continued).
func NewHolderID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "replica"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}
