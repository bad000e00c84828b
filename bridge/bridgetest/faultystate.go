package bridgetest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// ErrDiskFull is what FaultyState's writes fail with while the disk is "full",
// worded like SQLite's own error.
var ErrDiskFull = errors.New("sqlite: database or disk is full (SQLITE_FULL)")

// FaultyState wraps a bridge.State and makes its writes fail while the disk
// is "full" (SetDiskFull), as a real state database does when its disk fills
// up: reads keep working, every write fails and changes nothing.
type FaultyState struct {
	bridge.State
	mu       sync.Mutex
	full     bool
	refused  int
	attempts map[string]int
	failNext map[string]int
}

// NewFaultyState wraps st.
func NewFaultyState(st bridge.State) *FaultyState {
	return &FaultyState{State: st, attempts: map[string]int{}, failNext: map[string]int{}}
}

// SetDiskFull makes writes fail (true) or work again (false).
func (f *FaultyState) SetDiskFull(full bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.full = full
}

// FailNext makes the next n calls of the write op (a method name such as
// "MarkPosted") fail as if the disk were full.
func (f *FaultyState) FailNext(op string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext[op] += n
}

// Refused is how many writes failed.
func (f *FaultyState) Refused() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

func (f *FaultyState) write(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts[op]++
	if f.failNext[op] > 0 {
		f.failNext[op]--
		f.refused++
		return ErrDiskFull
	}
	if f.full {
		f.refused++
		return ErrDiskFull
	}
	return nil
}

// The writes of bridge.State, each refused while the disk is full.

func (f *FaultyState) SaveTokens(ctx context.Context, store bridge.StoreID, t bridge.Tokens) error {
	if err := f.write("SaveTokens"); err != nil {
		return err
	}
	return f.State.SaveTokens(ctx, store, t)
}

func (f *FaultyState) SetPaused(ctx context.Context, id bridge.StoreID, paused bool) error {
	if err := f.write("SetPaused"); err != nil {
		return err
	}
	return f.State.SetPaused(ctx, id, paused)
}

func (f *FaultyState) SaveSyncCursor(ctx context.Context, id bridge.StoreID, cursor, syncedAt time.Time) error {
	if err := f.write("SaveSyncCursor"); err != nil {
		return err
	}
	return f.State.SaveSyncCursor(ctx, id, cursor, syncedAt)
}

func (f *FaultyState) CreateConversation(ctx context.Context, c bridge.ConversationRecord) error {
	if err := f.write("CreateConversation"); err != nil {
		return err
	}
	return f.State.CreateConversation(ctx, c)
}

func (f *FaultyState) UpdateConversation(ctx context.Context, c bridge.ConversationRecord) error {
	if err := f.write("UpdateConversation"); err != nil {
		return err
	}
	return f.State.UpdateConversation(ctx, c)
}

func (f *FaultyState) RecordInbound(ctx context.Context, b bridge.InboundBatch) ([]bridge.MessageID, error) {
	if err := f.write("RecordInbound"); err != nil {
		return nil, err
	}
	return f.State.RecordInbound(ctx, b)
}

func (f *FaultyState) MarkPosted(ctx context.Context, posted []bridge.PostedMessage) error {
	if err := f.write("MarkPosted"); err != nil {
		return err
	}
	return f.State.MarkPosted(ctx, posted)
}

func (f *FaultyState) SetThread(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, t bridge.ThreadRef) error {
	if err := f.write("SetThread"); err != nil {
		return err
	}
	return f.State.SetThread(ctx, store, conv, t)
}

func (f *FaultyState) EnqueueReply(ctx context.Context, r bridge.Reply) (bridge.Reply, error) {
	if err := f.write("EnqueueReply"); err != nil {
		return bridge.Reply{}, err
	}
	return f.State.EnqueueReply(ctx, r)
}

func (f *FaultyState) UpdateReply(ctx context.Context, r bridge.Reply) error {
	if err := f.write("UpdateReply"); err != nil {
		return err
	}
	return f.State.UpdateReply(ctx, r)
}

func (f *FaultyState) OpenIncident(ctx context.Context, in bridge.Incident) (int64, error) {
	if err := f.write("OpenIncident"); err != nil {
		return 0, err
	}
	return f.State.OpenIncident(ctx, in)
}

func (f *FaultyState) UpdateIncident(ctx context.Context, in bridge.Incident) error {
	if err := f.write("UpdateIncident"); err != nil {
		return err
	}
	return f.State.UpdateIncident(ctx, in)
}

func (f *FaultyState) RecordSync(ctx context.Context, s bridge.SyncRun) error {
	if err := f.write("RecordSync"); err != nil {
		return err
	}
	return f.State.RecordSync(ctx, s)
}

func (f *FaultyState) RecordResponse(ctx context.Context, r bridge.ResponseEvent) error {
	if err := f.write("RecordResponse"); err != nil {
		return err
	}
	return f.State.RecordResponse(ctx, r)
}

func (f *FaultyState) RecordRestart(ctx context.Context, r bridge.RestartEvent) error {
	if err := f.write("RecordRestart"); err != nil {
		return err
	}
	return f.State.RecordRestart(ctx, r)
}

func (f *FaultyState) RecordAudit(ctx context.Context, a bridge.AuditEntry) error {
	if err := f.write("RecordAudit"); err != nil {
		return err
	}
	return f.State.RecordAudit(ctx, a)
}

func (f *FaultyState) SetMeta(ctx context.Context, key, value string) error {
	if err := f.write("SetMeta"); err != nil {
		return err
	}
	return f.State.SetMeta(ctx, key, value)
}

func (f *FaultyState) SaveStoreAuthRecord(ctx context.Context, r bridge.StoreAuthRecord) error {
	if err := f.write("SaveStoreAuthRecord"); err != nil {
		return err
	}
	return f.State.SaveStoreAuthRecord(ctx, r)
}

func (f *FaultyState) RecordAuthAttempt(ctx context.Context, id bridge.StoreID, a bridge.AuthAttempt) error {
	if err := f.write("RecordAuthAttempt"); err != nil {
		return err
	}
	return f.State.RecordAuthAttempt(ctx, id, a)
}

func (f *FaultyState) SaveAuthRequest(ctx context.Context, r bridge.AuthRequest) error {
	if err := f.write("SaveAuthRequest"); err != nil {
		return err
	}
	return f.State.SaveAuthRequest(ctx, r)
}

func (f *FaultyState) TakeAuthRequest(ctx context.Context, stateHash string) (bridge.AuthRequest, error) {
	if err := f.write("TakeAuthRequest"); err != nil {
		return bridge.AuthRequest{}, err
	}
	return f.State.TakeAuthRequest(ctx, stateHash)
}

func (f *FaultyState) SaveReportDelivery(ctx context.Context, d bridge.ReportDelivery) error {
	if err := f.write("SaveReportDelivery"); err != nil {
		return err
	}
	return f.State.SaveReportDelivery(ctx, d)
}

func (f *FaultyState) SaveTemplate(ctx context.Context, t bridge.Template) error {
	if err := f.write("SaveTemplate"); err != nil {
		return err
	}
	return f.State.SaveTemplate(ctx, t)
}

func (f *FaultyState) DeleteTemplate(ctx context.Context, name string) error {
	if err := f.write("DeleteTemplate"); err != nil {
		return err
	}
	return f.State.DeleteTemplate(ctx, name)
}

func (f *FaultyState) DeleteTemplateVariant(ctx context.Context, name, site string, store bridge.StoreID) error {
	if err := f.write("DeleteTemplateVariant"); err != nil {
		return err
	}
	return f.State.DeleteTemplateVariant(ctx, name, site, store)
}
