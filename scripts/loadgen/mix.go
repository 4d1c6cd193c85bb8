package loadgen

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Event categories, the unit of Mix.
const (
	CategoryUser        = "user"
	CategoryActivity    = "activity"
	CategoryParticipant = "participant"
)

// Categories lists every category in the order Mix names them.
var Categories = []string{CategoryUser, CategoryActivity, CategoryParticipant}

// ErrInvalidMix is wrapped by every ParseMix and Mix.Validate error.
var ErrInvalidMix = errors.New("invalid mix")

// Mix is the share of each event category in percent; the shares sum to 100.
// Within a category the World picks the event type by a fixed sub-mix (see
// world.go).
type Mix struct {
	User        int
	Activity    int
	Participant int
}

// DefaultMix is 40 % user, 30 % activity and 30 % participant events.
func DefaultMix() Mix { return Mix{User: 40, Activity: 30, Participant: 30} }

// ParseMix parses "user=40,activity=30,participant=30". Categories left out
// get 0 %, so "user=100" is a valid mix of user events only.
func ParseMix(s string) (Mix, error) {
	var m Mix
	if strings.TrimSpace(s) == "" {
		return m, fmt.Errorf("%w: empty, want e.g. %q", ErrInvalidMix, DefaultMix().String())
	}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		name = strings.TrimSpace(name)
		if !ok {
			return Mix{}, fmt.Errorf("%w: %q is not category=percent", ErrInvalidMix, part)
		}
		share := m.share(name)
		if share == nil {
			return Mix{}, fmt.Errorf("%w: unknown category %q in %q (want %s)", ErrInvalidMix, name, part, strings.Join(Categories, ", "))
		}
		if seen[name] {
			return Mix{}, fmt.Errorf("%w: category %q given twice", ErrInvalidMix, name)
		}
		seen[name] = true
		pct, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil {
			return Mix{}, fmt.Errorf("%w: %q: percent is not a whole number", ErrInvalidMix, part)
		}
		*share = pct
	}
	if err := m.Validate(); err != nil {
		return Mix{}, err
	}
	return m, nil
}

// Validate checks that every share is 0..100 and that they sum to 100.
func (m Mix) Validate() error {
	for _, c := range Categories {
		if pct := m.Percent(c); pct < 0 || pct > 100 {
			return fmt.Errorf("%w: %s=%d: percent must be 0..100", ErrInvalidMix, c, pct)
		}
	}
	if sum := m.User + m.Activity + m.Participant; sum != 100 {
		return fmt.Errorf("%w: %s sums to %d, want 100", ErrInvalidMix, m, sum)
	}
	return nil
}

// Percent returns the share of category c (0 for an unknown category).
func (m Mix) Percent(c string) int {
	if p := m.share(c); p != nil {
		return *p
	}
	return 0
}

// String formats m the way ParseMix reads it.
func (m Mix) String() string {
	return fmt.Sprintf("user=%d,activity=%d,participant=%d", m.User, m.Activity, m.Participant)
}

// Set implements flag.Value.
func (m *Mix) Set(s string) error {
	parsed, err := ParseMix(s)
	if err != nil {
		return err
	}
	*m = parsed
	return nil
}

func (m *Mix) share(c string) *int {
	switch c {
	case CategoryUser:
		return &m.User
	case CategoryActivity:
		return &m.Activity
	case CategoryParticipant:
		return &m.Participant
	}
	return nil
}

// pick maps a roll in [0, 100) onto a category.
func (m Mix) pick(roll int) string {
	switch {
	case roll < m.User:
		return CategoryUser
	case roll < m.User+m.Activity:
		return CategoryActivity
	default:
		return CategoryParticipant
	}
}
