package bridge

// Alert texts, kept close to the aggregated panel's wording.
const (
	TextInterrupted   = "Network connection interrupted, session fetching paused."
	TextCatchUpFailed = "Network restored, but full session sync failed."
)

// Incident scopes besides a chat surface's name.
const (
	ScopeMarketplace = "marketplace"
	ScopeState       = "state"
)
