package loadgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Pools of realistic values. Uniqueness where the application needs it
// (emails, usernames) comes from a per-run counter, not from the pools.
var (
	firstNames = []string{
		"Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas",
		"Katrin", "Leon", "Maja", "Noah", "Olivia", "Paul", "Quentin", "Rosa", "Samuel", "Tara",
		"Uma", "Viktor", "Wanda", "Xaver", "Yara", "Zoe", "Amir", "Bianca", "Carlos", "Dana",
		"Emil", "Fatima", "Giulia", "Hannes", "Ivana", "Jakob", "Lea", "Marek", "Nora", "Oskar",
	}
	lastNames = []string{
		"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
		"Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Braun", "Zimmermann", "Krüger", "Hartmann",
		"Lange", "Werner", "Krause", "Lehmann", "Köhler", "Rossi", "Novak", "García", "Kowalski", "Nielsen",
	}
	cities = []string{
		"Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Stuttgart", "Düsseldorf", "Leipzig",
		"Dresden", "Hannover", "Nürnberg", "Bremen", "Wien", "Zürich", "Amsterdam", "Kopenhagen",
	}
	emailDomains = []string{"example.com", "example.org", "example.net", "mail.example.com"}

	// categoryTitles: each category with title stems that fit it.
	categoryTitles = map[string][]string{
		"running":     {"Morning run", "Evening 10k", "Interval training", "Park run", "Long Sunday run"},
		"cycling":     {"Gravel ride", "Road bike tour", "Bike to the lake", "Critical mass", "Mountain bike trail"},
		"hiking":      {"Day hike", "Sunrise hike", "Forest walk", "Summit tour", "Riverside hike"},
		"yoga":        {"Yoga in the park", "Vinyasa flow", "Sunset yoga", "Beginner yoga", "Yin yoga"},
		"football":    {"Five-a-side", "Friendly match", "Football training", "Beach football"},
		"climbing":    {"Bouldering session", "Climbing gym night", "Outdoor climbing", "Top-rope course"},
		"board-games": {"Board game night", "Chess meetup", "Catan evening", "Strategy games"},
		"cooking":     {"Pasta workshop", "Vegan cooking", "Street food tour", "Bread baking"},
		"photography": {"Photo walk", "Night photography", "Street photography", "Portrait session"},
		"book-club":   {"Book club", "Poetry reading", "Sci-fi book circle", "Crime novel evening"},
	}
	// categoryNames is categoryTitles' keys in a fixed order: map iteration
	// order would break determinism.
	categoryNames = []string{"running", "cycling", "hiking", "yoga", "football", "climbing", "board-games", "cooking", "photography", "book-club"}

	places = []string{
		"Tiergarten", "Tempelhofer Feld", "Stadtpark", "Englischer Garten", "Rheinufer", "Hauptbahnhof",
		"Alte Mühle", "Community Center", "Sporthalle Nord", "Café Central", "Marktplatz", "Seepromenade",
	}
	descriptions = []string{
		"All levels welcome.", "Bring water and good shoes.", "We meet at the entrance.",
		"Beginners especially welcome!", "Relaxed pace, coffee afterwards.", "Please be on time.",
		"", // no description
	}
	cancelReasons = []string{"weather", "organiser ill", "not enough participants", "venue unavailable", ""}
	deleteReasons = []string{"user request", "inactive account", "duplicate account", ""}
)

// valueGen draws values from the pools.
type valueGen struct{ rng *rand.Rand }

func (g valueGen) pick(pool []string) string { return pool[g.rng.IntN(len(pool))] }

// pickOther returns an element of pool different from current (pools have
// at least two distinct values).
func (g valueGen) pickOther(pool []string, current string) string {
	for {
		if v := g.pick(pool); v != current {
			return v
		}
	}
}

func (g valueGen) fullName() string { return g.pick(firstNames) + " " + g.pick(lastNames) }

// username derives a handle from the name; n makes it unique in the run.
func (g valueGen) username(fullName string, n int) string {
	first, last, _ := strings.Cut(fullName, " ")
	return fmt.Sprintf("%s%s%d", strings.ToLower(asciiOnly(first)), strings.ToLower(asciiOnly(last))[:1], n)
}

// email is unique in the run through n.
func (g valueGen) email(fullName string, n int) string {
	first, last, _ := strings.Cut(fullName, " ")
	return fmt.Sprintf("%s.%s.%d@%s", strings.ToLower(asciiOnly(first)), strings.ToLower(asciiOnly(last)), n, g.pick(emailDomains))
}

func (g valueGen) category() string { return g.pick(categoryNames) }

func (g valueGen) title(category, city string) string {
	return g.pick(categoryTitles[category]) + " in " + city
}

func (g valueGen) location(city string) string { return g.pick(places) + ", " + city }

// startsAt is 1 to 60 days after epoch, on the hour between 07:00 and 21:00
// UTC: in the future for any run that starts at epoch.
func (g valueGen) startsAt(epoch time.Time) time.Time {
	day := epoch.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1+g.rng.IntN(60))
	return day.Add(time.Duration(7+g.rng.IntN(15)) * time.Hour)
}

// maxParticipants is 0 (no limit) a third of the time, else 2..30.
func (g valueGen) maxParticipants() int {
	if g.rng.IntN(3) == 0 {
		return 0
	}
	return 2 + g.rng.IntN(29)
}

// asciiOnly folds the umlauts and accents of the name pools for emails and
// usernames.
func asciiOnly(s string) string {
	return strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue", "ß", "ss", "í", "i", "á", "a").Replace(s)
}
