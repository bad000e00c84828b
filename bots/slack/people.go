package slack

import (
	"context"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// adminBook decides who is an admin: the configured user IDs, plus the
// members of the configured user group (fetched with usergroups.users.list
// and reused for AdminCacheTTL).
type adminBook struct {
	ids   map[string]bool
	group string
	ttl   time.Duration

	mu      sync.Mutex
	members map[string]bool
	fetched time.Time
}

func newAdminBook(cfg Config) *adminBook {
	ids := map[string]bool{}
	for _, id := range cfg.Admins {
		ids[id] = true
	}
	return &adminBook{ids: ids, group: cfg.AdminUsergroup, ttl: cfg.AdminCacheTTL}
}

// isAdmin reports whether user may run changing commands. When the group
// cannot be fetched, the last known member list is used (none at first: a
// Slack outage never grants rights).
func (s *Surface) isAdmin(ctx context.Context, user string) bool {
	b := s.admins
	if b.ids[user] {
		return true
	}
	if b.group == "" || user == "" {
		return false
	}
	b.mu.Lock()
	fresh := b.members != nil && s.clock.Now().Sub(b.fetched) < b.ttl
	if fresh {
		ok := b.members[user]
		b.mu.Unlock()
		return ok
	}
	b.mu.Unlock()
	var members []string
	err := s.do(ctx, call{op: "list admin group", method: methodGroupMembers, prio: prioUrgent, idempotent: true}, func(ctx context.Context) error {
		var err error
		members, err = s.api.GetUserGroupMembersContext(ctx, b.group)
		return err
	})
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		s.log.Warn("could not list the admin user group; using the last known members", "group", b.group, "err", err)
		return b.members[user]
	}
	b.members = map[string]bool{}
	for _, m := range members {
		b.members[m] = true
	}
	b.fetched = s.clock.Now()
	return b.members[user]
}

// nameBook caches display names of Slack users (users.info).
type nameBook struct {
	mu    sync.Mutex
	names map[string]string
}

func newNameBook() *nameBook { return &nameBook{names: map[string]string{}} }

const nameBookMax = 5000

// userName returns a user's display name, or "" when it cannot be found.
func (s *Surface) userName(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	s.names.mu.Lock()
	n, ok := s.names.names[id]
	s.names.mu.Unlock()
	if ok {
		return n
	}
	var u *slack.User
	err := s.do(ctx, call{op: "look up user", method: methodUserInfo, prio: prioUrgent, idempotent: true}, func(ctx context.Context) error {
		var err error
		u, err = s.api.GetUserInfoContext(ctx, id)
		return err
	})
	if err != nil || u == nil {
		s.log.Debug("could not look up a user's name", "user", id, "err", err)
		return ""
	}
	n = u.Profile.DisplayName
	if n == "" {
		n = u.RealName
	}
	if n == "" {
		n = u.Name
	}
	s.names.mu.Lock()
	if len(s.names.names) >= nameBookMax {
		clear(s.names.names)
	}
	s.names.names[id] = n
	s.names.mu.Unlock()
	return n
}
