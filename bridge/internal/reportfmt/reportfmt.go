// Package reportfmt words the figures of the daily inspection report:
// durations, counts, shares and times, the same in the report's checks and
// in its lines. It imports nothing of the project.
package reportfmt

import (
	"fmt"
	"strings"
	"time"
)

// Time renders a time in loc: "Mar 8 10:02", with the year when it is
// not ref's.
func Time(t time.Time, loc *time.Location, ref time.Time) string {
	t = t.In(loc)
	if t.Year() != ref.In(loc).Year() {
		return t.Format("Jan 2 2006 15:04")
	}
	return t.Format("Jan 2 15:04")
}

// Duration renders a duration for people: 350ms, 1.2s, 45s, 4m30s, 2h05m, 3d4h.
func Duration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + Duration(-d)
	case d == 0:
		return "0s"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < 10*time.Second:
		s := fmt.Sprintf("%.1fs", d.Seconds())
		return strings.Replace(s, ".0s", "s", 1)
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		m, s := int(d.Minutes()), int(d.Seconds())%60
		if s == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%02ds", m, s)
	case d < 48*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%02dm", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}

// Percent renders a share: "12.5%", "10%".
func Percent(f float64) string {
	s := fmt.Sprintf("%.1f", f*100)
	return strings.TrimSuffix(s, ".0") + "%"
}

// Plural renders "1 incident", "2 incidents", "3 replies".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	switch {
	case strings.HasSuffix(noun, "y") && !strings.HasSuffix(noun, "ay"):
		noun = noun[:len(noun)-1] + "ies"
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "sh"), strings.HasSuffix(noun, "ch"):
		noun += "es"
	case strings.ToUpper(noun) == noun:
		noun += "S"
	default:
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}
