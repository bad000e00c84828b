package simulator

import "time"

// The polling detector: Lazada reclaims the IM API permission of apps that
// poll /im/session/list and /im/message/list, so the simulator counts those
// calls per shop and hour and can revoke the permission (RevokeWhenFlagged).

// LazadaPolling is what the polling detector saw of one shop.
type LazadaPolling struct {
	// ListCalls counts the IM list calls of the shop.
	ListCalls int `json:"list_calls"`
	// MaxPerHour is the most list calls seen within one hour.
	MaxPerHour int `json:"max_per_hour"`
	// WouldRevoke counts the list calls beyond PollFlagPerHour within an
	// hour: each is one for which Lazada would reclaim the API permission.
	WouldRevoke int `json:"would_revoke"`
}

// countListCall feeds the polling detector.
func (d *lazadaDialect) countListCall(shopID, path string) {
	now := d.s.clock.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	recent := d.polls[shopID]
	i := 0
	for i < len(recent) && now.Sub(recent[i]) >= time.Hour {
		i++
	}
	recent = append(recent[i:], now)
	d.polls[shopID] = recent
	p := d.poll[shopID]
	if p == nil {
		p = &LazadaPolling{}
		d.poll[shopID] = p
	}
	p.ListCalls++
	p.MaxPerHour = max(p.MaxPerHour, len(recent))
	if len(recent) > d.cfg.PollFlagPerHour {
		p.WouldRevoke++
		if p.WouldRevoke == 1 {
			d.s.log.Warn("Lazada would reclaim the app's IM API permission: the IM lists are polled",
				"shop_id", shopID, "path", path, "calls_last_hour", len(recent), "limit", d.cfg.PollFlagPerHour)
		}
		if d.cfg.RevokeWhenFlagged {
			d.revoked = true
		}
	}
}

func (d *lazadaDialect) isRevoked() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.revoked
}

// LazadaPolling returns what the polling detector saw of a shop.
func (s *Simulator) LazadaPolling(shopID string) LazadaPolling {
	d := s.lazada()
	d.mu.Lock()
	defer d.mu.Unlock()
	if p := d.poll[shopID]; p != nil {
		return *p
	}
	return LazadaPolling{}
}

// LazadaPermissionRevoked reports whether the app's IM permission was
// reclaimed (RevokeWhenFlagged); RestoreLazadaPermission gives it back.
func (s *Simulator) LazadaPermissionRevoked() bool { return s.lazada().isRevoked() }

// RestoreLazadaPermission gives the app's IM API permission back.
func (s *Simulator) RestoreLazadaPermission() {
	d := s.lazada()
	d.mu.Lock()
	d.revoked = false
	d.mu.Unlock()
}
