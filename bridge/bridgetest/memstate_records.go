package bridgetest

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The bridge's own records: authorization bookkeeping, authorization
// requests, scheduled report deliveries and quick reply templates.

// StoreAuthRecord returns the store's authorization record (the zero record
// for a store without one).
func (s *MemState) StoreAuthRecord(ctx context.Context, id bridge.StoreID) (bridge.StoreAuthRecord, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return bridge.StoreAuthRecord{Store: id}, err
	}
	defer db.mu.Unlock()
	r, ok := db.authRecords[id]
	if !ok {
		return bridge.StoreAuthRecord{Store: id}, nil
	}
	return r, nil
}

// SaveStoreAuthRecord creates or replaces the store's authorization record.
func (s *MemState) SaveStoreAuthRecord(ctx context.Context, r bridge.StoreAuthRecord) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	r.Since, r.WarnedExpiry = stamp(r.Since), stamp(r.WarnedExpiry)
	db.authRecords[r.Store] = r
	return nil
}

// LastAuthAttempt returns the store's last authorization or refresh attempt
// (bridge.ErrNotFound when none was recorded).
func (s *MemState) LastAuthAttempt(ctx context.Context, id bridge.StoreID) (bridge.AuthAttempt, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return bridge.AuthAttempt{}, err
	}
	defer db.mu.Unlock()
	a, ok := db.authAttempts[id]
	if !ok {
		return bridge.AuthAttempt{}, fail(bridge.ErrNotFound, "read last authorization attempt of store %s", id)
	}
	return a, nil
}

// RecordAuthAttempt records the store's latest attempt, replacing the one before.
func (s *MemState) RecordAuthAttempt(ctx context.Context, id bridge.StoreID, a bridge.AuthAttempt) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	a.At = stamp(a.At)
	db.authAttempts[id] = a
	return nil
}

// SaveAuthRequest stores an authorization link's request under the hash of
// its state token (bridge.ErrConflict when the hash has one).
func (s *MemState) SaveAuthRequest(ctx context.Context, r bridge.AuthRequest) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	if _, taken := db.authRequests[r.StateHash]; taken {
		return fail(bridge.ErrConflict, "save authorization request of store %s", r.Store)
	}
	r.ExpiresAt = stamp(r.ExpiresAt)
	db.authRequests[r.StateHash] = r
	return nil
}

// TakeAuthRequest returns the request of a state token's hash and deletes
// it at once, so that a link completes at most once (bridge.ErrNotFound).
func (s *MemState) TakeAuthRequest(ctx context.Context, stateHash string) (bridge.AuthRequest, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return bridge.AuthRequest{}, err
	}
	defer db.mu.Unlock()
	r, ok := db.authRequests[stateHash]
	if !ok {
		return bridge.AuthRequest{}, fail(bridge.ErrNotFound, "take authorization request")
	}
	delete(db.authRequests, stateHash)
	return r, nil
}

// ReportDelivery returns the record of a scheduled report (bridge.ErrNotFound).
func (s *MemState) ReportDelivery(ctx context.Context, key string) (bridge.ReportDelivery, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return bridge.ReportDelivery{}, err
	}
	defer db.mu.Unlock()
	d, ok := db.deliveries[key]
	if !ok {
		return bridge.ReportDelivery{}, fail(bridge.ErrNotFound, "read delivery of report %s", key)
	}
	return d, nil
}

// SaveReportDelivery creates or replaces the record of a scheduled report.
// A status other than the four bridge.DeliveryStatus values is refused, as
// the SQL schema's CHECK refuses it.
func (s *MemState) SaveReportDelivery(ctx context.Context, d bridge.ReportDelivery) error {
	switch d.Status {
	case bridge.DeliveryPosting, bridge.DeliveryPosted, bridge.DeliveryFailed, bridge.DeliveryUnconfirmed:
	default:
		return fail(nil, "save delivery of report %s: unknown status %q", d.Key, d.Status)
	}
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	d.Since, d.Until, d.UpdatedAt = stamp(d.Since), stamp(d.Until), stamp(d.UpdatedAt)
	db.deliveries[d.Key] = d
	return nil
}

// LastReportPosted returns the end of the period of the schedule's latest
// posted report (the zero time when none was posted).
func (s *MemState) LastReportPosted(ctx context.Context, schedule string) (time.Time, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return time.Time{}, err
	}
	defer db.mu.Unlock()
	var (
		last  time.Time
		found bool
	)
	for _, d := range db.deliveries {
		if d.Schedule == schedule && d.Status == bridge.DeliveryPosted && (!found || nanos(d.Until) > nanos(last)) {
			last, found = d.Until, true
		}
	}
	return last, nil
}

// templateKey is a template variant's key: name, site, store.
type templateKey struct {
	name, site string
	store      bridge.StoreID
}

// Templates lists every template variant: by name, the default first, then
// the sites' and the stores' variants.
func (s *MemState) Templates(ctx context.Context) ([]bridge.Template, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	var out []bridge.Template
	for _, t := range db.templates {
		out = append(out, t)
	}
	rank := func(t bridge.Template) int {
		switch {
		case t.Store != "":
			return 2
		case t.Site != "":
			return 1
		}
		return 0
	}
	slices.SortFunc(out, func(a, b bridge.Template) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(rank(a), rank(b)),
			cmp.Compare(a.Site, b.Site), cmp.Compare(a.Store, b.Store))
	})
	return out, nil
}

// SaveTemplate creates or replaces one variant of a template; a variant
// for a site and a store at once is refused.
func (s *MemState) SaveTemplate(ctx context.Context, t bridge.Template) error {
	if t.Site != "" && t.Store != "" {
		return fail(nil, "save template %s: a variant is for a site or for a store, not both", t.Name)
	}
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	t.At = stamp(t.At)
	db.templates[templateKey{t.Name, t.Site, t.Store}] = t
	return nil
}

// DeleteTemplate deletes a template with every variant.
func (s *MemState) DeleteTemplate(ctx context.Context, name string) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	for k := range db.templates {
		if k.name == name {
			delete(db.templates, k)
		}
	}
	return nil
}

// DeleteTemplateVariant deletes one variant of a template (bridge.ErrNotFound
// when there is none).
func (s *MemState) DeleteTemplateVariant(ctx context.Context, name, site string, store bridge.StoreID) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	k := templateKey{name, site, store}
	if _, ok := db.templates[k]; !ok {
		return fail(bridge.ErrNotFound, "delete a variant of template %s", name)
	}
	delete(db.templates, k)
	return nil
}
