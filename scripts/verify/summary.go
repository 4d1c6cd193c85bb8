package verify

import (
	"fmt"
	"io"
)

// Summary writes a line per version conflict, one line per collection,
// then up to maxPerCollection examples of its differences (none when
// maxPerCollection <= 0):
//
//	outbox: user <id> version 3 is carried by 2 events (<id>, <id>); the outbox allows one
//	users: 412 expected, 412 in MongoDB, 0 missing, 0 unexpected, 0 with wrong fields
//	users/<id>: email: want "a@x" got "b@x"
func (d Diff) Summary(w io.Writer, maxPerCollection int) {
	for _, c := range d.Conflicts {
		_, _ = fmt.Fprintln(w, c.String())
	}
	for _, c := range d.Collections() {
		_, _ = fmt.Fprintf(w, "%s: %d expected, %d in MongoDB, %d missing, %d unexpected, %d with wrong fields\n",
			c.Collection, c.Expected, c.Actual, len(c.Missing), len(c.Unexpected), c.WrongDocuments())
	}
	for _, c := range d.Collections() {
		examples := c.examples()
		shown := examples[:min(len(examples), max(maxPerCollection, 0))]
		for _, e := range shown {
			_, _ = fmt.Fprintln(w, "  "+e)
		}
		if more := len(examples) - len(shown); more > 0 && len(shown) > 0 {
			_, _ = fmt.Fprintf(w, "  %s: ... and %d more\n", c.Collection, more)
		}
	}
}

// examples are the collection's differences as lines: missing documents,
// unexpected ones, then wrong fields.
func (c CollectionDiff) examples() []string {
	out := make([]string, 0, len(c.Missing)+len(c.Unexpected)+len(c.Mismatches))
	for _, id := range c.Missing {
		out = append(out, fmt.Sprintf("%s/%s: missing from MongoDB", c.Collection, id))
	}
	for _, id := range c.Unexpected {
		out = append(out, fmt.Sprintf("%s/%s: in MongoDB, not explained by the outbox", c.Collection, id))
	}
	for _, m := range c.Mismatches {
		out = append(out, m.String())
	}
	return out
}
