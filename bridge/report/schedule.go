package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// schedule is a validated Schedule: a local time of day in a
// time zone. Fire times are computed on local calendar dates with
// time.Date, so a 09:00 report stays at 09:00 local across DST changes (the
// day is 23 or 25 hours long); a time that does not exist on the day the
// clocks spring forward fires at the first moment after the gap (02:30 →
// 03:30), and a time that exists twice when they fall back fires once.
type schedule struct {
	Schedule
	hour, minute int
	loc          *time.Location
}

func newSchedule(s Schedule) (schedule, error) {
	h, m, err := parseClock(s.Time)
	if err != nil {
		return schedule{}, fmt.Errorf("report schedule %q: time %q is not HH:MM", s.Name, s.Time)
	}
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return schedule{}, fmt.Errorf("report schedule %q: time zone %q: %w", s.Name, s.Timezone, err)
	}
	return schedule{Schedule: s, hour: h, minute: m, loc: loc}, nil
}

// on is the fire time on a local date (the day may overflow the month).
// A wall time that the clocks skip is read with the offset in force before
// the change, so it lands after the gap (02:30 → 03:30), never before it.
func (s schedule) on(y int, m time.Month, d int) time.Time {
	t := time.Date(y, m, d, s.hour, s.minute, 0, 0, s.loc)
	if t.Hour() == s.hour && t.Minute() == s.minute {
		return t
	}
	_, before := t.Add(-24 * time.Hour).Zone()
	wall := time.Date(y, m, d, s.hour, s.minute, 0, 0, time.UTC)
	return wall.Add(-time.Duration(before) * time.Second).In(s.loc)
}

// next is the first fire time strictly after t.
func (s schedule) next(t time.Time) time.Time {
	y, m, d := t.In(s.loc).Date()
	for i := 0; ; i++ {
		if f := s.on(y, m, d+i); f.After(t) {
			return f
		}
	}
}

// prev is the last fire time at or before t.
func (s schedule) prev(t time.Time) time.Time {
	y, m, d := t.In(s.loc).Date()
	for i := 0; ; i++ {
		if f := s.on(y, m, d-i); !f.After(t) {
			return f
		}
	}
}

// key names the report of fire time f: the schedule and the local date, so
// a schedule posts at most one report per local day.
func (s schedule) key(f time.Time) string {
	return s.Name + "@" + f.In(s.loc).Format("2006-01-02")
}

// covers reports whether the schedule's report includes a store.
func (s schedule) covers(st bridge.Store) bool {
	if len(s.Stores) == 0 && len(s.Sites) == 0 {
		return true
	}
	for _, id := range s.Stores {
		if bridge.StoreID(id) == st.ID {
			return true
		}
	}
	for _, site := range s.Sites {
		if site != "" && strings.EqualFold(site, st.Site) {
			return true
		}
	}
	return false
}
